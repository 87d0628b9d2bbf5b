/* Winograd F(4x4, 3x3) and F(2x2, 5x5): the input and output transforms of dreamlib/winograd.py.

   A 3x3 convolution computes each 4x4 block of output pixels from a 6x6 block of input
   pixels. Winograd's minimal filtering algorithm (Lavin & Gray 2016, "Fast Algorithms for
   Convolutional Neural Networks", arXiv:1509.09308) transforms each 6x6 input block
   (V = B^T d B), multiplies it elementwise by the transformed kernel (U = G g G^T) summed
   over input channels -- 36 independent matrix products, done by torch.bmm -- and
   transforms the result back (Y = A^T M A): 36 multiplications per 16 outputs instead of
   144. A 5x5 kernel on the same 6x6 tiles gives 2x2 outputs: 36 instead of 100. These
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
