// Package core applies CO-RE relocations in user space: given an object's
// own (local) BTF, the target kernel's BTF and a program's instructions
// with their CO-RE records, it computes what each relocated instruction
// must become on that kernel and patches it, with libbpf's rules
// (tools/lib/bpf/relo_core.c and the candidate search of libbpf.c), which
// are also the kernel's own since Linux 5.17.
//
// Kernels before 5.17 take no core_relos in BPF_PROG_LOAD; for them the
// direct load relocates with this package and loads the patched program
// without records.
//
// The steps, per record:
//
//   - the record's access string ("0:1:2") is parsed against the local
//     type into a spec: the field's path through named members (anonymous
//     structs and unions in between are walked but not named), array
//     indexes and its bit offset;
//   - candidates are the target types with the same essential name (the
//     name without a "___flavour" suffix) and a compatible kind, from
//     vmlinux, or from the modules when vmlinux has none;
//   - the local spec is matched against each candidate: the same field
//     names, through anonymous members, array indexes within bounds and
//     compatible field types, or compatible (TYPE_MATCHES: matching) types
//     for type relocations, or an enumerator of the same essential name;
//   - every matching candidate must give the same value, or the record is
//     ambiguous (an error); candidates that did not match are dropped for
//     later records of the same local type, as libbpf does;
//   - the instruction is patched: an ALU immediate, a load or store offset
//     (and its size, where a narrower or wider unsigned integer or pointer
//     allows), or a 64-bit immediate. When no candidate matches and the
//     kind needs one, the instruction is poisoned instead: it becomes a
//     call of helper 0xbad2310, which the verifier rejects only when the
//     code is reachable.
//
// Where this package departs from libbpf:
//
//   - an access string index beyond 2^31-1 is an error (libbpf's sscanf
//     truncates it);
//   - matching one candidate is bounded to about a million steps: real BTF
//     needs a few hundred, crafted BTF (a struct holding itself through
//     anonymous members) could make libbpf search for exponential time;
//   - the shift that extracts a bitfield follows the byte order of the BTF
//     it is computed from (libbpf: the host's; the same when loading on
//     the host);
//   - module BTF comes from /sys/kernel/btf, in name order (libbpf: by BTF
//     object id); the order only decides which of several agreeing
//     candidates a message names.
//
// Candidates are looked up as libbpf does, an ENUM and an ENUM64 being
// candidates for each other; the kernel's own search wants the same kind.
package core
