/** `--import` this (or import it first in a worker) to load the TypeScript sources: see ts-hooks.mjs. */
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
