// CommonJS consumer: require() every entry of the installed tarball (an ES module graph without
// top-level await, which Node >= 20.19 loads synchronously). See kd-check.mjs.
const kd = require('kd-kernels');
const nativeEntry = require('kd-kernels/native');
const webgpuEntry = require('kd-kernels/webgpu');
const { checkNode } = require('./kd-check.mjs');

checkNode('require (CommonJS)', kd, nativeEntry, webgpuEntry).then(
  (line) => console.log(line),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
