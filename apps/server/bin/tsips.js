#!/usr/bin/env node
// The `tsips` command. It is committed rather than pointing "bin" at dist/bin.js, so that pnpm install
// can link it in a fresh clone, before anything has been built.
import '../dist/bin.js';
