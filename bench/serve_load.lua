-- wrk script for `dedup serve` (bench/serve_load.sh runs it):
--   wrk -t T -c C -d D --latency -s bench/serve_load.lua http://HOST:PORT -- MODE TEXTS RUN [TOKEN]
-- MODE: query (POST /v1/query, one document), insert (POST /v1/documents, one new document
-- per request: id "RUN-THREAD-N"), batch (POST /v1/documents, 100 new documents).
-- TEXTS: a file of JSON string literals, one document text per line (cycled through).
-- RUN: a tag that keeps ids unique across runs (a reused id with another text is a 409).
-- Prints one JSON line: requests, seconds, requests/s, p50 and p99 latency (ms), errors.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "query"
  texts = {}
  local f = assert(io.open(args[2], "r"))
  for line in f:lines() do texts[#texts + 1] = line end
  f:close()
  run = args[3] or "run"
  counter = 0
  wrk.method = "POST"
  wrk.path = mode == "query" and "/v1/query" or "/v1/documents"
  wrk.headers["Content-Type"] = "application/json"
  if args[4] then wrk.headers["Authorization"] = "Bearer " .. args[4] end
end

local function doc()
  counter = counter + 1
  local text = texts[(counter % #texts) + 1]
  return '{"id":"' .. run .. '-' .. tid .. '-' .. counter .. '","text":' .. text .. '}'
end

function request()
  if mode == "batch" then
    local docs = {}
    for i = 1, 100 do docs[i] = doc() end
    return wrk.format(nil, nil, nil, '{"documents":[' .. table.concat(docs, ",") .. ']}')
  end
  return wrk.format(nil, nil, nil, doc())
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"seconds":%.2f,"rps":%.1f,"p50_ms":%.2f,"p99_ms":%.2f,"errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
