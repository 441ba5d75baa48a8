// Enrolment of agents: registration tokens, per-agent credentials, and the checks between them.
export { credentialMatches, hashCredential, newAgentCredential } from './credentials.ts';
export { createToken, type Registration, register, tokenView } from './enrolment.ts';
export { checkLabels, parseDuration } from './policy.ts';
export { agentVerifier } from './verifier.ts';
