/*
 * The smallest program that classifies one digit, linked against libliandan_ffi.a with
 * --gc-sections, so only what that classification needs is kept: the flash of one precision.
 * Built twice by ffi/run-c-test.sh: with -DLIANDAN_SIZE_INT8 it calls the int8 network, else
 * the f32 one.
 */
#include <stdint.h>
#include <stdio.h>

#include "liandan.h"

int main(void) {
    static float pixels[LIANDAN_INPUTS];
#ifdef LIANDAN_SIZE_INT8
    int8_t out[LIANDAN_CLASSES];
    uint8_t class = liandan_int8_classify_pixels(pixels, out);
#else
    uint8_t class = liandan_classify(pixels);
#endif
    printf("%u\n", class);
    return 0;
}
