#!/usr/bin/env node
import "../dist/main/dragonfly.js"
