// Writes the flow document's JSON Schema to protocol/flow/flow.schema.json (npm run schema:generate).
// The file is committed; CI regenerates it and fails on a difference.
import { writeFileSync } from 'node:fs';
import { flowJsonSchema } from './index.ts';

const target = new URL('./flow.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
