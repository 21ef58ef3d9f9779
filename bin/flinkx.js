#!/usr/bin/env node
require('../dist/bin/cli/flinkx.js');
