/*
 * The smallest program that classifies one digit, linked against libliandan_ffi.a with
 * --gc-sections, so only what that classification needs is kept: the flash of one precision.
 * Built four times by ffi/run-c-test.sh: -DLIANDAN_SIZE_INT8 calls an int8 network, else an f32
 * one; -DLIANDAN_SIZE_CONVNET the convnet, else the seed network.
 */
#include <stdint.h>
#include <stdio.h>

#include "liandan.h"

int main(void) {
    static float pixels[LIANDAN_INPUTS];
#if defined(LIANDAN_SIZE_INT8) && defined(LIANDAN_SIZE_CONVNET)
    int8_t out[LIANDAN_CLASSES];
    uint8_t class = liandan_int8_convnet_classify_pixels(pixels, out);
#elif defined(LIANDAN_SIZE_INT8)
    int8_t out[LIANDAN_CLASSES];
    uint8_t class = liandan_int8_classify_pixels(pixels, out);
#elif defined(LIANDAN_SIZE_CONVNET)
    uint8_t class = liandan_convnet_classify(pixels);
#else
    uint8_t class = liandan_classify(pixels);
#endif
    printf("%u\n", class);
    return 0;
}
