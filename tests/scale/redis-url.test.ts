import { describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../shared/config';
import { createRedis, parseClusterUrl } from '../../shared/redis';
import { queuePrefix } from '../../shared/queue-client';

describe('REDIS_URL for a Redis Cluster', () => {
  it('redis+cluster:// URL → seed nodes, credentials and TLS', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,node-c')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'node-c', port: 6379 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://ops:p%40ss@[::1]:7000/')).toEqual({
      nodes: [{ host: '::1', port: 7000 }],
      username: 'ops',
      password: 'p@ss',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@a:1')).toMatchObject({ password: 'secret' });
    expect(parseClusterUrl('redis+cluster://:secret@a:1')).not.toHaveProperty('username');
  });

  it('malformed cluster URL → null, and the configuration refuses it at startup', () => {
    for (const bad of [
      'redis+cluster://',
      'redis+cluster://a:99999',
      'redis+cluster://a:1,,b:2',
      'redis+cluster://a:x',
    ]) {
      expect(parseClusterUrl(bad), bad).toBeNull();
      expect(() => loadConfig({ REDIS_URL: bad }), bad).toThrow(ConfigError);
    }
    expect(parseClusterUrl('redis://127.0.0.1:6379')).toBeNull();
    expect(loadConfig({ REDIS_URL: 'redis+cluster://a:1,b:2' }).REDIS_URL).toBe('redis+cluster://a:1,b:2');
  });

  it('createRedis → one server for redis://, an ioredis Cluster for redis+cluster://', () => {
    const one = createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true });
    const many = createRedis('redis+cluster://127.0.0.1:1,127.0.0.1:2', 'worker', { lazyConnect: true });
    try {
      expect(one).toBeInstanceOf(Redis);
      expect(many).toBeInstanceOf(Cluster);
      // BullMQ's blocking connections need this on every cluster node.
      expect((many as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
    } finally {
      one.disconnect();
      many.disconnect();
    }
  });

  it('queue prefix → unchanged on one server; on a cluster each queue tagged by its own name', () => {
    const one = new Redis({ lazyConnect: true });
    const many = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      expect(queuePrefix(one, 'bd', 'deliver-sms-summitwave')).toBe('bd');
      expect(queuePrefix(many, 'bd', 'deliver-sms-summitwave')).toBe('bd:{deliver-sms-summitwave}');
      expect(queuePrefix(many, 'bd', 'receipts')).toBe('bd:{receipts}');
    } finally {
      one.disconnect();
      many.disconnect();
    }
  });
});
