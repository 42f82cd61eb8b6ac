/**
 * Lint rule for workflow code: every setHandler call of a function comes before its first await.
 * An Update or signal delivered with a workflow's first task (Update-with-Start, signal-with-start)
 * is rejected when that first activation ends without its handler, so a handler registered after
 * an await loses exactly the requests that race the start.
 */
const isSetHandler = (callee) =>
  (callee.type === 'Identifier' && callee.name === 'setHandler') ||
  (callee.type === 'MemberExpression' && !callee.computed && callee.property.name === 'setHandler');

export default {
  meta: {
    type: 'problem',
    docs: { description: 'register every workflow handler before the first await' },
    messages: { late: 'setHandler after an await (line {{line}}): an Update or signal sent with the start would find no handler. Register every handler before the first await.' },
    schema: [],
  },
  create(context) {
    /** One entry per enclosing function: the first await seen directly in it. */
    const stack = [];
    const enter = () => stack.push({ firstAwait: null });
    const leave = () => stack.pop();
    return {
      FunctionDeclaration: enter,
      FunctionExpression: enter,
      ArrowFunctionExpression: enter,
      'FunctionDeclaration:exit': leave,
      'FunctionExpression:exit': leave,
      'ArrowFunctionExpression:exit': leave,
      AwaitExpression(node) {
        const top = stack[stack.length - 1];
        if (top && !top.firstAwait) top.firstAwait = node;
      },
      'ForOfStatement[await=true]'(node) {
        const top = stack[stack.length - 1];
        if (top && !top.firstAwait) top.firstAwait = node;
      },
      CallExpression(node) {
        const top = stack[stack.length - 1];
        if (top?.firstAwait && isSetHandler(node.callee)) {
          context.report({ node, messageId: 'late', data: { line: String(top.firstAwait.loc.start.line) } });
        }
      },
    };
  },
};
