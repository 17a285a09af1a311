// Loads one prebuilt addon (argv[2]) in whichever node runs this (the host's, or the arm64 node under
// qemu) and prints {info, loss}: a softmaxKL row, compared across architectures by .ci/consumer.sh.
const addon = require(process.argv[2]);
const s = Float32Array.from({ length: 37 }, (_, i) => 3 * Math.sin(i));
const t = Float32Array.from({ length: 37 }, (_, i) => 3 * Math.cos(i));
const loss = new Float32Array(1);
addon.softmaxKL(s, t, 1, 37, 2, 0, 0.5, loss, null, null, 1, 1);
console.log(JSON.stringify({ node: `${process.version} ${process.arch}`, info: addon.info(), loss: loss[0] }));
