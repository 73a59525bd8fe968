package gen

// SetTrampolineEvery lets tests force trampolines into small loaders.
func (g *Generator) SetTrampolineEvery(n int) { g.trampolineEvery = n }

// FailAtStep makes the generated loader fail with ECANCELED when it
// reaches step n (numbered as in Loader.Steps), after doing every step
// before it. It exists to test the cleanup path from every step.
func (g *Generator) FailAtStep(n int) { g.failStep = n }
