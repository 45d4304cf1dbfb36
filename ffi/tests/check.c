/*
 * Links libliandan_ffi.a and checks, against the predictions the Rust std build wrote
 * (`cargo run --example deploy -- expected FILE`):
 *   1. every class and every probability of the test digits is bit for bit the same;
 *   2. a few on-device training steps lower the loss on the worst-classified digit, and
 *      liandan_reset() restores the compiled-in predictions exactly;
 *   3. bad input (NULL, a label above 9) gives the documented error values;
 *   4. the convnet's classes and probabilities (`deploy -- expected-convnet FILE`) are bit
 *      for bit the same too;
 *   5. the int8 network's classes and int8 outputs (`deploy -- expected-int8 FILE`) are bit
 *      for bit the same, from float pixels and from pixels quantised here in C;
 *   6. so are the int8 convnet's (`deploy -- expected-int8-convnet FILE`);
 * and measures the stack one classification needs, by painting the stack of a thread.
 *
 * Usage: check EXPECTED_FILE CONVNET_EXPECTED_FILE INT8_EXPECTED_FILE INT8_CONVNET_EXPECTED_FILE
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liandan.h"

#define MAX_DIGITS 1000

struct digit {
    float pixels[LIANDAN_INPUTS];
    uint32_t label;
    uint32_t predicted;
    float probabilities[LIANDAN_CLASSES];
};

static struct digit *digits; /* on the C side's heap: the library has none */
static struct digit *convnet_digits;
static struct digit *int8_digits;
static int8_t (*int8_outputs)[LIANDAN_CLASSES];
static struct digit *int8_convnet_digits;
static int8_t (*int8_convnet_outputs)[LIANDAN_CLASSES];
static int failures;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            failures++;                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fputc('\n', stderr);                           \
        }                                                  \
    } while (0)

static int read_u32(FILE *f, uint32_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

/* The file the Rust side wrote: u32 count, then per digit 784 f32, u32 label, u32 class, 10 f32
 * (all little-endian, which is this machine's order). */
static uint32_t load(const char *path, struct digit **out) {
    FILE *f = fopen(path, "rb");
    uint32_t count = 0;
    struct digit *digits = NULL;
    if (!f || !read_u32(f, &count) || count > MAX_DIGITS ||
        !(digits = calloc(count, sizeof *digits))) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    for (uint32_t i = 0; i < count; i++) {
        struct digit *d = &digits[i];
        if (fread(d->pixels, sizeof(float), LIANDAN_INPUTS, f) != LIANDAN_INPUTS ||
            !read_u32(f, &d->label) || !read_u32(f, &d->predicted) ||
            fread(d->probabilities, sizeof(float), LIANDAN_CLASSES, f) != LIANDAN_CLASSES) {
            fprintf(stderr, "%s ends early, at digit %u\n", path, i);
            exit(2);
        }
    }
    fclose(f);
    *out = digits;
    return count;
}

/* The int8 outputs after the digits of an int8 expected file: count x 10 int8. */
static void load_int8_outputs(const char *path, uint32_t count,
                              int8_t (**out)[LIANDAN_CLASSES]) {
    FILE *f = fopen(path, "rb");
    int8_t (*outputs)[LIANDAN_CLASSES] = calloc(count, sizeof *outputs);
    if (!f || !outputs || fseek(f, -(long)(count * LIANDAN_CLASSES), SEEK_END) != 0 ||
        fread(outputs, LIANDAN_CLASSES, count, f) != count) {
        fprintf(stderr, "cannot read the int8 outputs of %s\n", path);
        exit(2);
    }
    fclose(f);
    *out = outputs;
}

/* One int8 network's entry points: the seed network's and the convnet's have the same
 * signatures, so one check serves both. */
struct int8_network {
    const char *name;
    void (*input_quantization)(float *scale, int32_t *zero_point);
    uint8_t (*classify)(const int8_t x[LIANDAN_INPUTS], int8_t out[LIANDAN_CLASSES]);
    uint8_t (*classify_pixels)(const float pixels[LIANDAN_INPUTS], int8_t out[LIANDAN_CLASSES]);
};

static const struct int8_network int8_seed = {
    "int8", liandan_int8_input_quantization, liandan_int8_classify, liandan_int8_classify_pixels};
static const struct int8_network int8_convnet = {
    "int8 convnet", liandan_int8_convnet_input_quantization, liandan_int8_convnet_classify,
    liandan_int8_convnet_classify_pixels};

/* An int8 network's classes and outputs equal to the Rust std build's, bit for bit, from
 * float pixels and from pixels quantised here. */
static void check_int8(const struct int8_network *net, const struct digit *digits,
                       int8_t (*outputs)[LIANDAN_CLASSES], uint32_t count) {
    float scale;
    int32_t zero_point;
    net->input_quantization(&scale, &zero_point);
    int mismatched = 0, right = 0;
    for (uint32_t i = 0; i < count; i++) {
        int8_t out[LIANDAN_CLASSES], again[LIANDAN_CLASSES], x[LIANDAN_INPUTS];
        uint8_t class = net->classify_pixels(digits[i].pixels, out);
        for (int j = 0; j < LIANDAN_INPUTS; j++) {
            float q = roundf(digits[i].pixels[j] / scale) + (float)zero_point;
            x[j] = (int8_t)(q < -128.0f ? -128.0f : q > 127.0f ? 127.0f : q);
        }
        uint8_t quantised = net->classify(x, again);
        if (class != digits[i].predicted || quantised != class ||
            memcmp(out, outputs[i], sizeof out) != 0 || memcmp(again, out, sizeof out) != 0) {
            mismatched++;
        }
        right += class == digits[i].label;
    }
    CHECK(mismatched == 0, "%s: %d of %u digits differ from the std build", net->name, mismatched,
          count);
    CHECK(net->classify(NULL, NULL) == 255, "%s: classify(NULL) is not 255", net->name);
    CHECK(net->classify_pixels(NULL, NULL) == 255, "%s: classify_pixels(NULL) is not 255",
          net->name);
    /* `out` may be NULL: the class alone. */
    CHECK(net->classify_pixels(digits[0].pixels, NULL) == digits[0].predicted,
          "%s: classify_pixels(pixels, NULL) is not the class", net->name);
    printf("%s: %u digits bit for bit as the std build, %d classified right\n", net->name, count,
           right);
}

/* The convnet's classes and probabilities equal to the Rust std build's, bit for bit. */
static void check_convnet(uint32_t count) {
    int mismatched = 0;
    for (uint32_t i = 0; i < count; i++) {
        float p[LIANDAN_CLASSES];
        uint8_t class = liandan_convnet_classify(convnet_digits[i].pixels);
        liandan_convnet_probabilities(convnet_digits[i].pixels, p);
        if (class != convnet_digits[i].predicted ||
            memcmp(p, convnet_digits[i].probabilities, sizeof p) != 0) {
            mismatched++;
        }
    }
    CHECK(mismatched == 0, "convnet: %d of %u digits differ from the std build", mismatched, count);
    CHECK(liandan_convnet_classify(NULL) == 255, "convnet_classify(NULL) is not 255");
    printf("convnet: %u digits bit for bit as the std build\n", count);
}

/* Every class and probability equal to the Rust std build's, bit for bit. */
static void check_predictions(uint32_t count, const char *when) {
    int mismatched = 0, right = 0;
    for (uint32_t i = 0; i < count; i++) {
        float p[LIANDAN_CLASSES];
        uint8_t class = liandan_classify(digits[i].pixels);
        liandan_probabilities(digits[i].pixels, p);
        if (class != digits[i].predicted || memcmp(p, digits[i].probabilities, sizeof p) != 0) {
            mismatched++;
        }
        right += class == digits[i].label;
    }
    CHECK(mismatched == 0, "%s: %d of %u digits differ from the Rust std predictions", when,
          mismatched, count);
    printf("%s: %u digits, predictions identical to Rust std, %d classified right\n", when,
           count, right);
}

/* -log p(label), the cross-entropy of one digit with dropout off. */
static float loss(const struct digit *d) {
    float p[LIANDAN_CLASSES];
    liandan_probabilities(d->pixels, p);
    return -logf(p[d->label]);
}

static void check_learning(uint32_t count) {
    const struct digit *worst = &digits[0];
    for (uint32_t i = 1; i < count; i++) {
        if (loss(&digits[i]) > loss(worst)) worst = &digits[i];
    }
    float before = loss(worst);
    for (int step = 0; step < 5; step++) {
        float value = liandan_train_step(worst->pixels, (uint8_t)worst->label, 0.01f);
        CHECK(isfinite(value), "training step %d returned %f", step, value);
    }
    float after = loss(worst);
    CHECK(after < before, "the loss went from %f to %f after 5 SGD steps", before, after);
    printf("on-device learning: loss on the worst digit (label %u) %.4f -> %.4f in 5 steps\n",
           worst->label, before, after);
    CHECK(liandan_reset() == 0, "reset refused");
}

static void check_errors(void) {
    float p[LIANDAN_CLASSES] = {0};
    CHECK(liandan_classify(NULL) == 255, "classify(NULL) is not 255");
    liandan_probabilities(NULL, p);
    liandan_probabilities(digits[0].pixels, NULL);
    CHECK(isnan(liandan_train_step(NULL, 1, 0.1f)), "train_step(NULL) is not NaN");
    CHECK(isnan(liandan_train_step(digits[0].pixels, 10, 0.1f)), "label 10 is not refused");
}

/* The stack a call needs: run it on a thread whose stack we painted, find the deepest byte it
 * changed, and subtract what a thread doing nothing changes (glibc keeps the thread's own
 * descriptor and TLS at the top of a caller-provided stack). */
#define STACK_SIZE (1 << 20)
#define PAINT 0xA5

static void *idle(void *arg) { return arg; }

static void *classify_one(void *arg) {
    return (void *)(uintptr_t)liandan_classify(((const struct digit *)arg)->pixels);
}

static void *int8_one(void *arg) {
    return (void *)(uintptr_t)liandan_int8_classify_pixels(((const struct digit *)arg)->pixels, NULL);
}

static void *int8_convnet_one(void *arg) {
    const struct digit *d = arg;
    return (void *)(uintptr_t)liandan_int8_convnet_classify_pixels(d->pixels, NULL);
}

static void *convnet_one(void *arg) {
    return (void *)(uintptr_t)liandan_convnet_classify(((const struct digit *)arg)->pixels);
}

static void *train_one(void *arg) {
    const struct digit *d = arg;
    float value = liandan_train_step(d->pixels, (uint8_t)d->label, 0.0f);
    return isfinite(value) ? arg : NULL;
}

static size_t stack_used(void *(*run)(void *), void *arg) {
    uint8_t *stack = aligned_alloc(4096, STACK_SIZE);
    if (!stack) exit(2);
    memset(stack, PAINT, STACK_SIZE);
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, STACK_SIZE);
    if (pthread_create(&thread, &attr, run, arg) != 0) exit(2);
    pthread_join(thread, NULL);
    pthread_attr_destroy(&attr);
    size_t untouched = 0;
    while (untouched < STACK_SIZE && stack[untouched] == PAINT) untouched++;
    free(stack);
    return STACK_SIZE - untouched;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr,
                "usage: %s EXPECTED_FILE CONVNET_EXPECTED_FILE INT8_EXPECTED_FILE "
                "INT8_CONVNET_EXPECTED_FILE\n",
                argv[0]);
        return 2;
    }
    uint32_t count = load(argv[1], &digits);
    CHECK(count > 0, "no digits in %s", argv[1]);
    uint32_t convnet_count = load(argv[2], &convnet_digits);
    CHECK(convnet_count > 0, "no digits in %s", argv[2]);
    check_convnet(convnet_count);
    uint32_t int8_count = load(argv[3], &int8_digits);
    CHECK(int8_count > 0, "no digits in %s", argv[3]);
    load_int8_outputs(argv[3], int8_count, &int8_outputs);
    check_int8(&int8_seed, int8_digits, int8_outputs, int8_count);
    uint32_t int8_convnet_count = load(argv[4], &int8_convnet_digits);
    CHECK(int8_convnet_count > 0, "no digits in %s", argv[4]);
    load_int8_outputs(argv[4], int8_convnet_count, &int8_convnet_outputs);
    check_int8(&int8_convnet, int8_convnet_digits, int8_convnet_outputs, int8_convnet_count);
    check_predictions(count, "compiled-in weights");
    check_learning(count);
    check_predictions(count, "after liandan_reset");
    check_errors();
    size_t base = stack_used(idle, NULL);
    size_t used = stack_used(classify_one, &digits[0]);
    printf("stack for one liandan_classify: %zu bytes (a thread that does nothing: %zu)\n",
           used - base, base);
    /* A step with learning rate 0 leaves the weights as they are. */
    used = stack_used(train_one, &digits[0]);
    printf("stack for one liandan_train_step: %zu bytes\n", used - base);
    used = stack_used(convnet_one, &convnet_digits[0]);
    printf("stack for one liandan_convnet_classify: %zu bytes\n", used - base);
    used = stack_used(int8_one, &int8_digits[0]);
    printf("stack for one liandan_int8_classify_pixels: %zu bytes\n", used - base);
    used = stack_used(int8_convnet_one, &int8_convnet_digits[0]);
    printf("stack for one liandan_int8_convnet_classify_pixels: %zu bytes\n", used - base);
    CHECK(liandan_reset() == 0, "reset refused");
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
