/** `npm run tools`: make sure the Temporal CLI and test server are present, and say where. */
import { describeTool, ensureTools } from './tools';

const started = Date.now();
const tools = ensureTools((line) => console.log(`[tools] ${line}`));
console.log(`[tools] ${describeTool('temporal', tools.temporal)}`);
console.log(`[tools] ${describeTool('temporal-test-server', tools.testServer)}`);
console.log(`[tools] ready in ${Date.now() - started} ms`);
