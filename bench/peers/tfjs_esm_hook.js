// Module resolve hook for the tfjs peer: tfjs-core's per-file ESM build (dist/gradients/*.js, the
// only place the gradient definitions ship; the CommonJS bundle has none) imports its siblings
// without file extensions, as bundlers allow and Node does not. Retry those with '.js' and
// '/index.js'. Registered by tfjs_peer.js through module.register().
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.includes('/@tensorflow/')) {
      for (const ext of ['.js', '/index.js']) {
        try {
          return await next(specifier + ext, context);
        } catch { /* next candidate */ }
      }
    }
    throw e;
  }
}
