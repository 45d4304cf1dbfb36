/*
 * liandan from C: the seed MNIST classifier (784 -> Dense 128 ReLU -> Dropout 0.2 ->
 * Dense 10 softmax) with its trained weights compiled in. No heap, no allocator, no std:
 * link libliandan_ffi.a (built by `cargo build --release` in ffi/) and nothing else.
 * Beside it: keras.io's MNIST convnet, and both networks' int8 forms (below).
 *
 * Images are 28x28 = 784 floats, row-major, pixels scaled to [0, 1] (byte / 255), as the
 * MNIST IDX files store them. Pointers to pixels must point at 784 readable floats, `out`
 * at 10 writable floats, each aligned as a float.
 *
 * Memory: the weights are 407,080 bytes of read-only data; classification needs only the
 * stack. On-device learning uses a zero-initialised static (.bss) holding a writable copy of
 * the network, its gradient and a tape, filled by the first training step.
 *
 * Calls are not re-entrant: a call made while another one is running (from an interrupt
 * handler or another thread) is refused with the error value documented below, never raced.
 */
#ifndef LIANDAN_H
#define LIANDAN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pixels per image and classes. */
#define LIANDAN_INPUTS 784
#define LIANDAN_CLASSES 10

/* The digit (0-9) the image shows, or 255 if `pixels` is NULL or another call is running. */
uint8_t liandan_classify(const float pixels[LIANDAN_INPUTS]);

/* Writes the 10 class probabilities to `out`: NaNs if another call is running, nothing if
 * either pointer is NULL. */
void liandan_probabilities(const float pixels[LIANDAN_INPUTS], float out[LIANDAN_CLASSES]);

/* One step of on-device learning: plain SGD, theta <- theta - learning_rate * dL/dtheta, on
 * one labelled image with sparse categorical cross-entropy (dropout active). Returns the loss
 * before the step, or NaN, changing nothing, if `pixels` is NULL, `label` > 9, the loss is
 * not finite, or another call is running. Later classifications use the updated network. */
float liandan_train_step(const float pixels[LIANDAN_INPUTS], uint8_t label, float learning_rate);

/* Forgets on-device learning: classification uses the compiled-in weights again.
 * Returns 0, or -1 if another call is running. */
int32_t liandan_reset(void);

/* keras.io's MNIST convnet (28x28x1 -> Conv2D 32 3x3 ReLU -> MaxPooling 2 -> Conv2D 64 3x3
 * ReLU -> MaxPooling 2 -> Dense 10 softmax, 34,826 weights in read-only data), trained by
 * `cargo run --release --example mnist_cnn`. Its activations live in a zero-initialised
 * static (.bss); the same images as above. The digit, or 255 if `pixels` is NULL or another
 * convnet call is running. */
uint8_t liandan_convnet_classify(const float pixels[LIANDAN_INPUTS]);

/* The convnet's 10 class probabilities into `out`: NaNs if another convnet call is running,
 * nothing if either pointer is NULL. */
void liandan_convnet_probabilities(const float pixels[LIANDAN_INPUTS], float out[LIANDAN_CLASSES]);

/* The seed network in int8 (written by `cargo run --release --example deploy -- quantize`):
 * int8 weights, integer arithmetic only, TFLite's int8 scheme. An int8 image is the 784
 * pixels quantised with the network's input quantisation, q = round(p / scale) + zero_point
 * clamped to [-128, 127]. The outputs are int8 probabilities: p = (q + 128) / 256.
 * Re-entrant: the scratch is on the stack. */

/* The input's scale and zero point; either pointer may be NULL. */
void liandan_int8_input_quantization(float *scale, int32_t *zero_point);

/* The digit an int8 image shows, or 255 if `x` is NULL; the 10 int8 outputs into `out`
 * unless it is NULL. */
uint8_t liandan_int8_classify(const int8_t x[LIANDAN_INPUTS], int8_t out[LIANDAN_CLASSES]);

/* The same for float pixels in [0, 1], quantised first. */
uint8_t liandan_int8_classify_pixels(const float pixels[LIANDAN_INPUTS], int8_t out[LIANDAN_CLASSES]);

/* The convnet in int8 (written by `cargo run --release --example deploy -- quantize`): the
 * same scheme as the seed network's int8 form above, with its own input quantisation;
 * 35,824 bytes of read-only data against the f32 convnet's 139,304. Its scratch (each
 * convolution's image read in place, with room for patches, and activations, 47,024 bytes)
 * is a zero-initialised
 * static (.bss), as the f32 convnet's is, so a call made while another int8 convnet call is
 * running is refused. */

/* The int8 convnet input's scale and zero point; either pointer may be NULL. */
void liandan_int8_convnet_input_quantization(float *scale, int32_t *zero_point);

/* The digit the int8 convnet reads in an int8 image, or 255 if `x` is NULL or another int8
 * convnet call is running (`out` then untouched); the 10 int8 outputs into `out` unless it
 * is NULL. */
uint8_t liandan_int8_convnet_classify(const int8_t x[LIANDAN_INPUTS], int8_t out[LIANDAN_CLASSES]);

/* The same for float pixels in [0, 1], quantised first. */
uint8_t liandan_int8_convnet_classify_pixels(const float pixels[LIANDAN_INPUTS],
                                             int8_t out[LIANDAN_CLASSES]);

#ifdef __cplusplus
}
#endif

#endif /* LIANDAN_H */
