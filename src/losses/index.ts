export { kdLoss, type KdLossOptions } from './kd.js';
export { crossEntropy, type CrossEntropyOptions } from './cross_entropy.js';
export { hintonLoss, type HintonLossOptions, type HintonParts } from './hinton.js';
export { multiTeacherKdLoss, type MultiTeacherOptions } from './multi_teacher.js';
export { similarityLoss } from './similarity.js';
export { hintLoss } from './hint.js';
export { fusedLinearKdLoss, type FusedLinearKdOptions } from './fused_linear.js';
export { fspLoss, fspMatrix, type FspLossOptions, type FspPair, type FspEntry } from './fsp.js';
