/**
 * `npm run tools`: make sure the Temporal CLI and test server are present, and say where; and the
 * Python packages the tests' copy of the seed's Python client needs.
 */
import { describeTool, ensurePythonPackages, ensureTools } from './tools';

const started = Date.now();
const tools = ensureTools((line) => console.log(`[tools] ${line}`));
console.log(`[tools] ${describeTool('temporal', tools.temporal)}`);
console.log(`[tools] ${describeTool('temporal-test-server', tools.testServer)}`);
ensurePythonPackages((line) => console.log(`[tools] ${line}`));
console.log(`[tools] ready in ${Date.now() - started} ms`);
