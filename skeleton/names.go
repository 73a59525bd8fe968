package skeleton

import (
	"strconv"
	"strings"
	"unicode"
)

// goIdent turns a C or ELF name ("filter_pid", ".data.custom",
// "COLOR_RED") into an exported Go identifier ("FilterPid", "DataCustom",
// "ColorRed"): it splits at every character that cannot appear in an
// identifier, capitalises each part and title-cases parts written all in
// upper case. A name that would start with a digit gets an "N" in front.
func goIdent(name string) string {
	parts := strings.FieldsFunc(name, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
	var b strings.Builder
	for _, p := range parts {
		if isUpper(p) && len(p) > 1 {
			p = p[:1] + strings.ToLower(p[1:])
		}
		b.WriteString(strings.ToUpper(p[:1]))
		b.WriteString(p[1:])
	}
	s := b.String()
	if s == "" {
		return "X"
	}
	if s[0] >= '0' && s[0] <= '9' {
		s = "N" + s
	}
	return s
}

// isUpper reports whether s has letters and all of them are upper case.
func isUpper(s string) bool {
	letters := false
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters = true
		}
	}
	return letters
}

// unexport lower-cases the first letter of an exported identifier.
func unexport(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// nameSet hands out unique identifiers within one scope: a taken name gets
// a numeric suffix ("Foo", "Foo2", "Foo3" ...), so that generation stays
// deterministic however names collide.
type nameSet map[string]bool

// add reserves name and returns it, or the first free name with a suffix.
func (s nameSet) add(name string) string {
	n := name
	for i := 2; s[n]; i++ {
		n = name + strconv.Itoa(i)
	}
	s[n] = true
	return n
}
