'use strict';
/**
 * The baseline: a bare Fastify server that does no work. POST /bare parses the JSON body (Fastify's own
 * parser, same body limit as the gateway) and answers {ok:true}; GET /bare answers {ok:true}.
 */
const fastify = require('fastify')({
  logger: false,
  bodyLimit: Number(process.env.BODY_LIMIT) || 3 * 1024 * 1024,
});

fastify.post('/bare', async (request) => {
  if (typeof request.body !== 'object' || request.body === null) throw new Error('no body');
  return { ok: true };
});
fastify.get('/bare', async () => ({ ok: true }));

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(
  () => process.stdout.write('bare server ready\n'),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
process.once('SIGTERM', () => fastify.close().then(() => process.exit(0)));
process.once('SIGINT', () => fastify.close().then(() => process.exit(0)));
