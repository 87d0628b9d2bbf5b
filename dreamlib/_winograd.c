/* Winograd F(4x4, 3x3), F(2x2, 5x5) and F(4, 7): the input and output transforms of dreamlib/winograd_conv.py.

   A 3x3 convolution computes each 4x4 block of output pixels from a 6x6 block of input
   pixels. Winograd's minimal filtering algorithm (Lavin & Gray 2016, "Fast Algorithms for
   Convolutional Neural Networks", arXiv:1509.09308) transforms each 6x6 input block
   (V = B^T d B), multiplies it elementwise by the transformed kernel (U = G g G^T) summed
   over input channels -- 36 independent matrix products, done by torch.bmm -- and
   transforms the result back (Y = A^T M A): 36 multiplications per 16 outputs instead of
   144. A 5x5 kernel on the same 6x6 tiles gives 2x2 outputs: 36 instead of 100; 1x7 and 7x1
   kernels get a one-dimensional F(4, 7) (at the end of this file). These
   functions are the transforms, on channels-last float32 tensors, working 8 channels at a
   time (GCC/Clang vector extensions; the compiler picks the instructions). Each call handles
   tile rows [r0, r1), so Python threads can share the work (ctypes releases the GIL) and
   large images go through in chunks. No allocation, no global state. */
typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define IN_ROWS(T, d, m)                                                                        \
    for (int j = 0; j < 6; j++) {                                                               \
        T d0 = d[0][j], d1 = d[1][j], d2 = d[2][j], d3 = d[3][j], d4 = d[4][j], d5 = d[5][j];   \
        m[0][j] = 4 * d0 - 5 * d2 + d4;                                                         \
        m[1][j] = -4 * (d1 + d2) + d3 + d4;                                                     \
        m[2][j] = 4 * (d1 - d2) - d3 + d4;                                                      \
        m[3][j] = -2 * (d1 - d3) - d2 + d4;                                                     \
        m[4][j] = 2 * (d1 - d3) - d2 + d4;                                                      \
        m[5][j] = 4 * d1 - 5 * d3 + d5;                                                         \
    }
#define IN_COLS(T, m, STORE)                                                                    \
    for (int i = 0; i < 6; i++) {                                                               \
        T d0 = m[i][0], d1 = m[i][1], d2 = m[i][2], d3 = m[i][3], d4 = m[i][4], d5 = m[i][5];   \
        STORE(i * 6 + 0, 4 * d0 - 5 * d2 + d4);                                                 \
        STORE(i * 6 + 1, -4 * (d1 + d2) + d3 + d4);                                             \
        STORE(i * 6 + 2, 4 * (d1 - d2) - d3 + d4);                                              \
        STORE(i * 6 + 3, -2 * (d1 - d3) - d2 + d4);                                             \
        STORE(i * 6 + 4, 2 * (d1 - d3) - d2 + d4);                                              \
        STORE(i * 6 + 5, 4 * d1 - 5 * d3 + d5);                                                 \
    }

/* x: (N, H, W, C) input, cut into N * th rows of tw tiles of 6x6 pixels, `step` apart (4 for F(4x4, 3x3), 2 for
   F(2x2, 5x5): the same transform); pt, pl: zero padding at the top and left; zeros: C zeros, read for pixels
   outside the image. Transforms tile rows [r0, r1) into V: (36, T, C), the tiles of row r from (r - rbase) * tw on
   (so a buffer can hold a chunk of rows starting at rbase). */
void input_transform(const float *restrict x, int H, int W, int C, int pt, int pl,
                     int th, int tw, int step, int r0, int r1, int rbase, long T,
                     float *restrict V, const float *restrict zeros)
{
    for (int r = r0; r < r1; r++) {
        int n = r / th, ty = r % th;
        for (int tx = 0; tx < tw; tx++) {
            long t = (long)(r - rbase) * tw + tx;
            const float *p[36];
            for (int i = 0; i < 6; i++) {
                int y = ty * step - pt + i;
                for (int j = 0; j < 6; j++) {
                    int xx = tx * step - pl + j;
                    p[i * 6 + j] = (y >= 0 && y < H && xx >= 0 && xx < W) ? x + (((long)n * H + y) * W + xx) * C : zeros;
                }
            }
            float *out[36];
            for (int k = 0; k < 36; k++) out[k] = V + ((long)k * T + t) * C;
            int c = 0;
            for (; c + 8 <= C; c += 8) {
                v8 d[6][6], m[6][6];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) d[i][j] = *(const v8 *)(p[i * 6 + j] + c);
                IN_ROWS(v8, d, m)
#define STV(k, v) *(v8 *)(out[k] + c) = (v)
                IN_COLS(v8, m, STV)
            }
            for (; c < C; c++) {
                float d[6][6], m[6][6];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) d[i][j] = p[i * 6 + j][c];
                IN_ROWS(float, d, m)
#define STS(k, v) out[k][c] = (v)
                IN_COLS(float, m, STS)
            }
        }
    }
}

/* M: (36, T, K) products of the tile rows from rbase on (as V above); writes tile rows [r0, r1) of
   y: (N, Ho, Wo, K), `step` x `step` output pixels per tile (4: F(4x4, 3x3), 2: F(2x2, 5x5)); bias: K values
   or NULL. */
#define OUT_ROWS(T, m, a)                                                                       \
    for (int j = 0; j < 6; j++) {                                                               \
        T s12 = m[1][j] + m[2][j], d12 = m[1][j] - m[2][j];                                     \
        T s34 = m[3][j] + m[4][j], d34 = m[3][j] - m[4][j];                                     \
        a[0][j] = m[0][j] + s12 + s34;                                                          \
        if (step == 4) {                                                                        \
            a[1][j] = d12 + 2 * d34;                                                            \
            a[2][j] = s12 + 4 * s34;                                                            \
            a[3][j] = d12 + 8 * d34 + m[5][j];                                                  \
        } else {                                                                                \
            a[1][j] = d12 + 2 * d34 + m[5][j];                                                  \
        }                                                                                       \
    }
#define OUT_COLS(T, a, b, res)                                                                  \
    for (int i = 0; i < step; i++) {                                                            \
        T s12 = a[i][1] + a[i][2], d12 = a[i][1] - a[i][2];                                     \
        T s34 = a[i][3] + a[i][4], d34 = a[i][3] - a[i][4];                                     \
        res[i * step + 0] = a[i][0] + s12 + s34 + b;                                            \
        if (step == 4) {                                                                        \
            res[i * 4 + 1] = d12 + 2 * d34 + b;                                                 \
            res[i * 4 + 2] = s12 + 4 * s34 + b;                                                 \
            res[i * 4 + 3] = d12 + 8 * d34 + a[i][5] + b;                                       \
        } else {                                                                                \
            res[i * 2 + 1] = d12 + 2 * d34 + a[i][5] + b;                                       \
        }                                                                                       \
    }

/* One tile; `step` is a constant where this is inlined, so each output size gets its own loops. */
static inline __attribute__((always_inline)) void
output_tile(const float *restrict M, int Ho, int Wo, int K, int th, int tw, const int step, int r, int tx,
            int rbase, long T, const float *restrict bias, float *restrict y)
{
    int n = r / th, ty = r % th, outs = step * step;
    long t = (long)(r - rbase) * tw + tx;
    const float *in[36];
    for (int k = 0; k < 36; k++) in[k] = M + ((long)k * T + t) * K;
    float *o[16];
    for (int i = 0; i < step; i++)
        for (int j = 0; j < step; j++) {
            int yy = ty * step + i, xx = tx * step + j;
            o[i * step + j] = (yy < Ho && xx < Wo) ? y + (((long)n * Ho + yy) * Wo + xx) * K : 0;
        }
    int c = 0;
    for (; c + 8 <= K; c += 8) {
        v8 m[6][6], a[4][6], res[16];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) m[i][j] = *(const v8 *)(in[i * 6 + j] + c);
        OUT_ROWS(v8, m, a)
        v8 b = bias ? *(const v8 *)(bias + c) : (v8){0};
        OUT_COLS(v8, a, b, res)
        for (int k = 0; k < outs; k++) if (o[k]) *(v8 *)(o[k] + c) = res[k];
    }
    for (; c < K; c++) {
        float m[6][6], a[4][6], res[16];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) m[i][j] = in[i * 6 + j][c];
        OUT_ROWS(float, m, a)
        float b = bias ? bias[c] : 0.f;
        OUT_COLS(float, a, b, res)
        for (int k = 0; k < outs; k++) if (o[k]) o[k][c] = res[k];
    }
}

void output_transform(const float *restrict M, int Ho, int Wo, int K, int th, int tw, int step,
                      int r0, int r1, int rbase, long T, const float *restrict bias, float *restrict y)
{
    for (int r = r0; r < r1; r++)
        for (int tx = 0; tx < tw; tx++) {
            if (step == 4)
                output_tile(M, Ho, Wo, K, th, tw, 4, r, tx, rbase, T, bias, y);
            else
                output_tile(M, Ho, Wo, K, th, tw, 2, r, tx, rbase, T, bias, y);
        }
}

/* One-dimensional F(4, 7), for 1x7 and 7x1 kernels (InceptionV3's Mixed_6 blocks): 4 outputs from 10 inputs along a
   row (along_w) or a column, on the points 0, 1, -1, 2, -2, 1/2, -1/2, 3/2, -3/2 and infinity. The matrices are
   winograd_conv.toom_cook(4, 7) (a test checks that they agree), written out so the compiler can drop the zeros.
   A "line" is one row (or column) of one image: line l is image l / Lb, row (column) l % Lb, cut into `ta` tiles
   4 pixels apart. */
#define LN 10
#define LM 4
static const float LINE_BT[LN][LN] = {
    {2.25f, 0, -12.8125f, 0, 17.0625f, 0, -7.5f, 0, 1, 0},
    {0, -2.25f, -2.25f, 10.5625f, 10.5625f, -6.5f, -6.5f, 1, 1, 0},
    {0, 2.25f, -2.25f, -10.5625f, 10.5625f, 6.5f, -6.5f, -1, 1, 0},
    {0, -1.125f, -0.5625f, 6.125f, 3.0625f, -7, -3.5f, 2, 1, 0},
    {0, 1.125f, -0.5625f, -6.125f, 3.0625f, 7, -3.5f, -2, 1, 0},
    {0, -4.5f, -9, 7.625f, 15.25f, -3.625f, -7.25f, 0.5f, 1, 0},
    {0, 4.5f, -9, -7.625f, 15.25f, 3.625f, -7.25f, -0.5f, 1, 0},
    {0, -1.5f, -1, 7.875f, 5.25f, -7.875f, -5.25f, 1.5f, 1, 0},
    {0, 1.5f, -1, -7.875f, 5.25f, 7.875f, -5.25f, -1.5f, 1, 0},
    {0, 2.25f, 0, -12.8125f, 0, 17.0625f, 0, -7.5f, 0, 1},
};
static const float LINE_AT[LM][LN] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0.5f, -0.5f, 1.5f, -1.5f, 0},
    {0, 1, 1, 4, 4, 0.25f, 0.25f, 2.25f, 2.25f, 0},
    {0, 1, -1, 8, -8, 0.125f, -0.125f, 3.375f, -3.375f, 1},
};

/* The two matrices, for the test that compares them with winograd_conv.toom_cook. */
void line_matrices(float *bt, float *at)
{
    for (int i = 0; i < LN * LN; i++) bt[i] = LINE_BT[i / LN][i % LN];
    for (int i = 0; i < LM * LN; i++) at[i] = LINE_AT[i / LN][i % LN];
}

/* x: (N, H, W, C); pad: zero padding before the first pixel along the axis. Lines [r0, r1) -> V: (10, T, C), the
   tiles of line l from (l - rbase) * ta on. */
void line_input_transform(const float *restrict x, int H, int W, int C, int along_w, int pad, int ta,
                          int r0, int r1, int rbase, long T, float *restrict V, const float *restrict zeros)
{
    int La = along_w ? W : H, Lb = along_w ? H : W;
    for (int r = r0; r < r1; r++) {
        int img = r / Lb, b = r % Lb;
        for (int a = 0; a < ta; a++) {
            long t = (long)(r - rbase) * ta + a;
            const float *p[LN];
            float *out[LN];
            for (int j = 0; j < LN; j++) {
                int q = a * LM - pad + j;
                long pixel = along_w ? ((long)img * H + b) * W + q : ((long)img * H + q) * W + b;
                p[j] = (q >= 0 && q < La) ? x + pixel * C : zeros;
                out[j] = V + ((long)j * T + t) * C;
            }
            int c = 0;
            for (; c + 8 <= C; c += 8) {
                v8 d[LN];
                for (int j = 0; j < LN; j++) d[j] = *(const v8 *)(p[j] + c);
#pragma GCC unroll 10
                for (int i = 0; i < LN; i++) {
                    v8 s = {0};
#pragma GCC unroll 10
                    for (int j = 0; j < LN; j++)
                        if (LINE_BT[i][j] != 0.f) s += LINE_BT[i][j] * d[j];
                    *(v8 *)(out[i] + c) = s;
                }
            }
            for (; c < C; c++)
                for (int i = 0; i < LN; i++) {
                    float s = 0.f;
                    for (int j = 0; j < LN; j++) s += LINE_BT[i][j] * p[j][c];
                    out[i][c] = s;
                }
        }
    }
}

/* M: (10, T, K) products; writes lines [r0, r1) of y: (N, Ho, Wo, K); bias: K values or NULL. */
void line_output_transform(const float *restrict M, int Ho, int Wo, int K, int along_w, int ta,
                           int r0, int r1, int rbase, long T, const float *restrict bias, float *restrict y)
{
    int La = along_w ? Wo : Ho, Lb = along_w ? Ho : Wo;
    for (int r = r0; r < r1; r++) {
        int img = r / Lb, b = r % Lb;
        for (int a = 0; a < ta; a++) {
            long t = (long)(r - rbase) * ta + a;
            const float *in[LN];
            float *o[LM];
            for (int j = 0; j < LN; j++) in[j] = M + ((long)j * T + t) * K;
            for (int i = 0; i < LM; i++) {
                int q = a * LM + i;
                long pixel = along_w ? ((long)img * Ho + b) * Wo + q : ((long)img * Ho + q) * Wo + b;
                o[i] = q < La ? y + pixel * K : 0;
            }
            int c = 0;
            for (; c + 8 <= K; c += 8) {
                v8 d[LN];
                for (int j = 0; j < LN; j++) d[j] = *(const v8 *)(in[j] + c);
                v8 bv = bias ? *(const v8 *)(bias + c) : (v8){0};
#pragma GCC unroll 4
                for (int i = 0; i < LM; i++) {
                    v8 s = bv;
#pragma GCC unroll 10
                    for (int j = 0; j < LN; j++)
                        if (LINE_AT[i][j] != 0.f) s += LINE_AT[i][j] * d[j];
                    if (o[i]) *(v8 *)(o[i] + c) = s;
                }
            }
            for (; c < K; c++)
                for (int i = 0; i < LM; i++) {
                    if (!o[i]) continue;
                    float s = bias ? bias[c] : 0.f;
                    for (int j = 0; j < LN; j++) s += LINE_AT[i][j] * in[j][c];
                    o[i][c] = s;
                }
        }
    }
}
