-- wrk script for bench_filing: every request files a new issue through POST /api/v1/issues as a
-- PIC would, with its own Idempotency-Key (a repeated key would be answered as a replay, not
-- filed). TANGGAP_TOKEN is the caller's bearer token, TANGGAP_RUN a prefix unique to the run.
local token = os.getenv("TANGGAP_TOKEN")
local run = os.getenv("TANGGAP_RUN") or "run"
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  wrong = 0
end

function request()
  n = n + 1
  -- One word, unique to the filing (as the own load's number is): a title's counter is not a
  -- word many issues share.
  local key = run .. "x" .. tid .. "x" .. n
  local body = '{"title":"Jalan rusak di Desa Sungup (' .. key .. ')",'
    .. '"description":"Warga mengeluhkan jalan rusak parah di Desa Sungup, Kecamatan Pulau Laut Utara, viral di Facebook.",'
    .. '"category":"infrastruktur","channel":"facebook","priority":"high",'
    .. '"source_urls":["https://facebook.com/groups/kotabaru/posts/' .. key .. '"],'
    .. '"tags":["jalan","viral"]}'
  return wrk.format("POST", "/api/v1/issues", {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = key,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  -- 201 and a new filing; anything else (a replay, an error) is counted and reported.
  if status ~= 201 or headers["Idempotent-Replayed"] ~= nil then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("wrong")
  end
  io.write(string.format("wrong answers: %d\n", bad))
  io.write(string.format("latency_us p50 %d p99 %d\n", latency:percentile(50), latency:percentile(99)))
end
