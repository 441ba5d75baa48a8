// Entry of the agent bundle (`npm run build`): the `roost agent ...` commands and nothing of the control plane.
import { RoostError } from '../protocol/errors.ts';
import { agentMain } from './cli.ts';

try {
  await agentMain(process.argv.slice(2));
} catch (error) {
  const roost = error instanceof RoostError ? error : RoostError.from(error);
  process.stderr.write(
    `roost agent: ${roost.message}${roost.code === 'ROOST_INTERNAL' ? '' : ` (${roost.code})`}\n`,
  );
  process.exitCode = 1;
}
