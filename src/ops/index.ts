export { add, sub, mul, div, neg } from './arithmetic.js';
export { matmul, linear } from './matmul.js';
export { relu, exp, log, square, sqrt } from './unary.js';
export { sum, mean } from './reduce.js';
export { reshape, flatten, transpose, detach } from './shape.js';
export { softmax, logSoftmax } from './softmax.js';
export { dropout } from './dropout.js';
export { fakeQuantize, type FakeQuantizeOptions } from './quantize.js';
export { conv2d, maxPool2d, type Conv2dOptions } from './conv.js';
