// A CommonJS bundle of the package for Node (esbuild --platform=node --format=cjs, kd-kernels inside
// the bundle): import.meta.url is empty there. Without KD_NATIVE_ADDON the cpu backend is used and
// nativeLoadError() says what to do; with it, the addon it names is the backend. See consumer.sh.
const kd = require('kd-kernels');
const { checkKdLoss } = require('./kd-check.mjs');

async function main() {
  if (process.env.KD_NATIVE_ADDON) return checkKdLoss(kd, 'native');
  const msg = kd.nativeLoadError()?.message ?? '';
  if (kd.getBackend().name !== 'cpu' || !/KD_NATIVE_ADDON/.test(msg) || !/bundled/.test(msg)) {
    throw new Error(`without KD_NATIVE_ADDON: backend ${kd.getBackend().name}, load error "${msg}"`);
  }
  return `${await checkKdLoss(kd, 'cpu')}; the load error says: ${msg}`;
}
main().then(
  (line) => console.log(line),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
