// ESM consumer: import every entry of the installed tarball (see kd-check.mjs).
import * as kd from 'kd-kernels';
import * as nativeEntry from 'kd-kernels/native';
import * as webgpuEntry from 'kd-kernels/webgpu';
import { checkNode } from './kd-check.mjs';

console.log(await checkNode('import (ESM)', kd, nativeEntry, webgpuEntry));
