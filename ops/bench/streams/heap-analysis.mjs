// Heap snapshot analysis for bench:streams --heap-profile: what each idle open stream retains, and what
// long-lived object holds it.
//
//   node ops/bench/streams/heap-analysis.mjs BASELINE.heapsnapshot OPEN.heapsnapshot STREAMS [TOP]
//
// V8 keeps a heap object's snapshot id across snapshots of one process, so the objects of OPEN whose
// ids BASELINE lacks are the ones that appeared while the streams opened. The dominator tree of OPEN
// (weak edges ignored) gives each object's retained size; a "holder" is a new object whose immediate
// dominator is an old one (or the GC roots): its retained size is memory that goes away when the
// holder does. Holders are grouped by their own constructor and the constructor of the old object
// (or, for objects reached from several places, "(several)") that dominates them, per stream.
import { readFileSync } from 'node:fs';

/** A parsed snapshot in flat typed arrays. */
export function loadSnapshot(file) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const at = (f) => meta.node_fields.indexOf(f);
  const [T, N, I, S, E] = ['type', 'name', 'id', 'self_size', 'edge_count'].map(at);
  const eT = meta.edge_fields.indexOf('type');
  const eN = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const raw = json.nodes;
  const count = raw.length / nf;
  const type = new Uint8Array(count);
  const name = new Uint32Array(count);
  const id = new Float64Array(count);
  const size = new Float64Array(count);
  const firstEdge = new Uint32Array(count + 1);
  let e = 0;
  for (let i = 0; i < count; i++) {
    type[i] = raw[i * nf + T];
    name[i] = raw[i * nf + N];
    id[i] = raw[i * nf + I];
    size[i] = raw[i * nf + S];
    firstEdge[i] = e;
    e += raw[i * nf + E];
  }
  firstEdge[count] = e;
  const rawEdges = json.edges;
  const edgeType = new Uint8Array(e);
  const edgeName = new Uint32Array(e);
  const edgeTo = new Uint32Array(e);
  for (let j = 0; j < e; j++) {
    edgeType[j] = rawEdges[j * ef + eT];
    edgeName[j] = rawEdges[j * ef + eN];
    edgeTo[j] = rawEdges[j * ef + eTo] / nf;
  }
  return { count, type, name, id, size, firstEdge, edgeType, edgeName, edgeTo, strings: json.strings, nodeTypes, edgeTypes };
}

/** The label of a node: constructor for objects/closures, (type) otherwise. */
export function labelOf(s, i) {
  const t = s.nodeTypes[s.type[i]];
  if (t === 'object') return s.strings[s.name[i]] || '(object)';
  if (t === 'closure') return `${s.strings[s.name[i]] || '(anonymous)'}()`;
  if (t === 'native' || t === 'synthetic' || t === 'hidden') return `(${t}) ${s.strings[s.name[i]].slice(0, 40)}`;
  return `(${t})`;
}

/** Immediate dominators (Cooper, Harvey, Kennedy), weak edges ignored; node 0 is the root. */
export function dominators(s) {
  const weak = s.edgeTypes.indexOf('weak');
  const shortcut = s.edgeTypes.indexOf('shortcut');
  const n = s.count;
  // Reverse postorder by iterative DFS.
  const order = new Int32Array(n).fill(-1); // postorder number
  const rpo = new Uint32Array(n);
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  let sp = 0;
  let post = 0;
  const seen = new Uint8Array(n);
  stackNode[0] = 0;
  stackEdge[0] = s.firstEdge[0];
  seen[0] = 1;
  sp = 1;
  while (sp) {
    const v = stackNode[sp - 1];
    const ei = stackEdge[sp - 1];
    if (ei < s.firstEdge[v + 1]) {
      stackEdge[sp - 1] = ei + 1;
      const t = s.edgeType[ei];
      if (t === weak || t === shortcut) continue;
      const w = s.edgeTo[ei];
      if (seen[w]) continue;
      seen[w] = 1;
      stackNode[sp] = w;
      stackEdge[sp] = s.firstEdge[w];
      sp++;
    } else {
      sp--;
      order[v] = post;
      rpo[n - 1 - post] = v;
      post++;
    }
  }
  const reached = post;
  const rpoStart = n - reached;
  // Predecessors (CSR) among reached nodes.
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (!seen[v]) continue;
    for (let ei = s.firstEdge[v]; ei < s.firstEdge[v + 1]; ei++) {
      const t = s.edgeType[ei];
      if (t === weak || t === shortcut) continue;
      predCount[s.edgeTo[ei] + 1]++;
    }
  }
  for (let v = 0; v < n; v++) predCount[v + 1] += predCount[v];
  const preds = new Uint32Array(predCount[n]);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (!seen[v]) continue;
    for (let ei = s.firstEdge[v]; ei < s.firstEdge[v + 1]; ei++) {
      const t = s.edgeType[ei];
      if (t === weak || t === shortcut) continue;
      preds[fill[s.edgeTo[ei]]++] = v;
    }
  }
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a, b) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = rpoStart; k < n; k++) {
      const v = rpo[k];
      if (v === 0) continue;
      let d = -1;
      for (let p = predCount[v]; p < predCount[v + 1]; p++) {
        const u = preds[p];
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  // Retained sizes: children before parents = postorder.
  const retained = Float64Array.from(s.size);
  for (let k = n - 1; k >= rpoStart; k--) {
    const v = rpo[k];
    if (v !== 0 && idom[v] >= 0) retained[idom[v]] += retained[v];
  }
  return { idom, retained, preds, predStart: predCount, reachable: seen };
}

export function analyse(baseFile, openFile, streams, top = 25) {
  const base = loadSnapshot(baseFile);
  const oldIds = new Set(base.id);
  const s = loadSnapshot(openFile);
  const { idom, retained, reachable } = dominators(s);
  const isNew = (i) => !oldIds.has(s.id[i]);
  let newSelf = 0;
  for (let i = 0; i < s.count; i++) if (reachable[i] && isNew(i)) newSelf += s.size[i];
  // Holders: new objects dominated by an old object.
  const groups = new Map();
  for (let i = 1; i < s.count; i++) {
    if (!reachable[i] || !isNew(i)) continue;
    const d = idom[i];
    if (d < 0 || isNew(d)) continue;
    const key = `${labelOf(s, i)}  ⟸  ${d === 0 ? '(GC roots)' : labelOf(s, d)}`;
    const g = groups.get(key) ?? { bytes: 0, count: 0, sample: i };
    g.bytes += retained[i];
    g.count++;
    groups.set(key, g);
  }
  const rows = [...groups].sort((a, b) => b[1].bytes - a[1].bytes);
  let held = 0;
  for (const [, g] of rows) held += g.bytes;
  return { newSelfPerStream: newSelf / streams, heldPerStream: held / streams, rows: rows.slice(0, top).map(([k, g]) => ({ key: k, perStream: g.bytes / streams, countPerStream: g.count / streams, sample: g.sample })), s, idom, retained };
}

/** What a new subtree consists of: retained bytes by constructor among the nodes `root` dominates (depth ≤ 1 summary). */
export function childrenOf(s, idom, retained, root, top = 12) {
  const kids = new Map();
  for (let i = 0; i < s.count; i++) {
    if (idom[i] !== root || i === root) continue;
    const k = labelOf(s, i);
    const g = kids.get(k) ?? { bytes: 0, count: 0 };
    g.bytes += retained[i];
    g.count++;
    kids.set(k, g);
  }
  return [...kids].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseFile, openFile, streamsArg, topArg] = process.argv.slice(2);
  const streams = Number(streamsArg);
  const { newSelfPerStream, heldPerStream, rows, s, idom, retained } = analyse(baseFile, openFile, streams, Number(topArg ?? 30));
  console.log(`new objects: ${newSelfPerStream.toFixed(0)} bytes / stream (self sizes); held by old objects: ${heldPerStream.toFixed(0)} bytes / stream\n`);
  console.log('| holder (new) ⟸ dominated by (old) | bytes / stream | holders / stream |');
  console.log('| --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.key.replace(/\|/g, '\\|')} | ${r.perStream.toFixed(0)} | ${r.countPerStream.toFixed(2)} |`);
  if (process.env.DETAIL) {
    for (const r of rows.slice(0, Number(process.env.DETAIL))) {
      console.log(`\n${r.key}: one sample's dominated children`);
      for (const [k, g] of childrenOf(s, idom, retained, r.sample)) console.log(`  ${k}: ${g.bytes} bytes (${g.count})`);
    }
  }
}
