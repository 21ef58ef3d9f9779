#!/usr/bin/env node
require('../dist/bin/cli/jm.js');
