package gen

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinuxErrnos holds the errnos the loader program returns, which are
// Linux's whatever OS generates it, to x/sys/unix's.
func TestLinuxErrnos(t *testing.T) {
	if errnoENOENT != int(unix.ENOENT) || errnoECANCELED != int(unix.ECANCELED) || errnoEINVAL != int(unix.EINVAL) {
		t.Errorf("errnoENOENT %d, errnoECANCELED %d; Linux has %d, %d", errnoENOENT, errnoECANCELED, unix.ENOENT, unix.ECANCELED)
	}
}
