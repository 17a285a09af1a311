export { Module, type StateDict } from './module.js';
export { Linear, Conv2d, MaxPool2d, Flatten, ReLU, Dropout, Sequential, type InitOptions, type Conv2dLayerOptions } from './layers.js';
