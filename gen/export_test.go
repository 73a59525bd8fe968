package gen

// SetTrampolineEvery lets tests force trampolines into small loaders.
func (g *Generator) SetTrampolineEvery(n int) { g.trampolineEvery = n }
