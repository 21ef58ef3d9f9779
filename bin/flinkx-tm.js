#!/usr/bin/env node
require('../dist/bin/cli/tm.js');
