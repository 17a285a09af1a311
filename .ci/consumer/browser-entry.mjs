// Bundled with esbuild for the browser (no configuration) by .ci/consumer.sh and run in headless
// Chromium by browser.mjs: the main entry on navigator.gpu, kdLoss + backward against float64.
import { tensor, losses, useWebGPU } from 'kd-kernels';
import { checkKdLoss } from './kd-check.mjs';

try {
  await useWebGPU();
  window.__result = { status: 'PASS', log: await checkKdLoss({ tensor, losses }, 'webgpu') };
} catch (e) {
  window.__result = { status: 'FAIL', log: String(e?.stack ?? e) };
}
