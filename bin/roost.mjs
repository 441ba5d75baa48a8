#!/usr/bin/env node
// The `roost` command. Runs the TypeScript sources directly through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../control-plane/cli.ts');
await main(process.argv.slice(2));
