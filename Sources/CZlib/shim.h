#ifndef VIGIL_CZLIB_SHIM_H
#define VIGIL_CZLIB_SHIM_H
// zlib, seen by VigilLogs only. inflateInit2 is a macro: re-exposed as a function.
#include <zlib.h>

static inline int vigil_inflate_init_gzip(z_stream *stream) {
    // 16 + MAX_WBITS: a gzip header and trailer around the deflate data.
    return inflateInit2(stream, 16 + MAX_WBITS);
}
#endif
