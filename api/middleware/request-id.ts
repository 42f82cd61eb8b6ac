/** Every response carries `X-Request-ID`: the caller's when it sent a sane one, else a new ULID. */
import type { RequestHandler } from 'express';
import { newId } from '../../common/ids';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  req.id = given && SAFE_ID.test(given) ? given : newId('req');
  res.setHeader('X-Request-ID', req.id);
  next();
};
