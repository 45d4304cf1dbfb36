#!/usr/bin/env bash
# Builds the no_std static library, links the C check against it with the system C compiler,
# and runs it on predictions the Rust std build writes for the bundled test digits: the seed
# network and the convnet, each in f32 and in int8. Then reports the flash the library takes,
# in all and per network and precision. Run from anywhere; CI runs it from .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/ffi
mkdir -p "$out"

# The reference: liandan with std loads the weight file at run time and predicts.
cargo run --quiet --example deploy -- expected "$out/expected.bin"
cargo run --quiet --example deploy -- expected-convnet "$out/expected_convnet.bin"
cargo run --quiet --example deploy -- expected-int8 "$out/expected_int8.bin"
cargo run --quiet --example deploy -- expected-int8-convnet "$out/expected_int8_convnet.bin"

# The firmware side: no std, no heap, the same weights compiled in.
(cd ffi && cargo build --release --quiet)
lib=ffi/target/release/libliandan_ffi.a

cc -std=c11 -O2 -Wall -Wextra -Werror -Iffi/include ffi/tests/check.c "$lib" \
    -Wl,--gc-sections -lm -lpthread -o "$out/check"
"$out/check" "$out/expected.bin" "$out/expected_convnet.bin" "$out/expected_int8.bin" \
    "$out/expected_int8_convnet.bin"

# Flash: the sections the linker kept from the library, in the linked check program. No
# allocator symbol may be referenced: the library has none and needs none.
if nm -u "$lib" 2>/dev/null | grep -E '__rust_alloc|__rg_alloc|malloc'; then
    echo "the static library references an allocator" >&2
    exit 1
fi
echo "no allocator referenced by $lib"

# What the library adds to the linked program: its Rust symbols (mangled `_ZN`/`_R`) and the
# exported `liandan_*` functions, by kind. The weights are statics in `.rodata` (`WEIGHTS` the
# seed network's f32, `CONVNET` the convnet's, `INT8` the seed network's int8, `CONVNET_INT8`
# the convnet's); the learner's state and the scratches are `.bss` (zero-initialised RAM, no
# flash).
nm -t d -S --size-sort "$out/check" | awk '
    $4 ~ /^(_ZN|_R|liandan_)/ {
        size = $2 + 0
        if ($3 ~ /[tT]/) text += size
        else if ($3 ~ /[rR]/) rodata += size
        else if ($3 ~ /[bB]/) bss += size
        if ($4 ~ /7WEIGHTS17h/) weights = size
        if ($4 ~ /7CONVNET17h/) convnet = size
        if ($4 ~ /4INT817h/) int8 = size
        if ($4 ~ /12CONVNET_INT817h/) convnet_int8 = size
    }
    END {
        printf "liandan in the linked program: .text %d bytes, .rodata %d bytes, .bss %d bytes\n", text, rodata, bss
        printf "seed network weights: f32 %d bytes, int8 %d bytes (%.1f%%)\n", weights, int8, 100 * int8 / weights
        printf "convnet weights: f32 %d bytes, int8 %d bytes (%.1f%%)\n", convnet, convnet_int8, 100 * convnet_int8 / convnet
    }'

# Flash per network and precision: a program that classifies one digit, nothing else, with the
# seed network or the convnet, in f32 or in int8. Each keeps the library's code and data that
# its classification reaches.
for network in seed convnet; do
    for precision in f32 int8; do
        flags="" name="$precision"
        if [ "$network" = convnet ]; then
            flags="$flags -DLIANDAN_SIZE_CONVNET" name="$name convnet"
        fi
        if [ "$precision" = int8 ]; then flags="$flags -DLIANDAN_SIZE_INT8"; fi
        # $flags unquoted on purpose: none, one or two compiler flags.
        # shellcheck disable=SC2086
        cc -std=c11 -O2 -Wall -Wextra -Werror $flags -Iffi/include ffi/tests/size.c "$lib" \
            -Wl,--gc-sections -lm -lpthread -o "$out/size_${precision}_$network"
        "$out/size_${precision}_$network" > /dev/null
        nm -t d -S --size-sort "$out/size_${precision}_$network" | awk -v name="$name" '
            $4 ~ /^(_ZN|_R|liandan_)/ {
                size = $2 + 0
                if ($3 ~ /[tT]/) text += size
                else if ($3 ~ /[rR]/) rodata += size
            }
            END { printf "%s classification alone: .text %d bytes, .rodata %d bytes\n", name, text, rodata }'
    done
done
