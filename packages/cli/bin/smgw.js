#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm run build first).
import '../dist/main.js';
