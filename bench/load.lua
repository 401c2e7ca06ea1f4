-- wrk script for bench/load.py: every request is sent once. wrk -s load.lua URL -- FILE THREADS
--
-- FILE holds one request per line: METHOD<TAB>PATH<TAB>BODY<TAB>Name: value|Name: value...
-- (a BODY is sent as JSON). Thread k sends lines k, k+THREADS, k+2*THREADS, ... over its
-- connections and stops once each line has been answered. A connection with no line left waits
-- (``delay``) until its thread stops, so it sends nothing more and wrk's latency figures are the
-- lines' own. Written to stderr as they happen, for the driver's clock: "START k" before thread
-- k's first line, "STOP k" after its last answer. ``done`` prints one "RESULT ..." line.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  lines, idx, answered, bad, spare, spare_sent, stopped = {}, 0, 0, 0, 0, 0, false
  -- A request for no line: sent only if a thread has more connections than lines; a path no
  -- server has, answered 404, counted apart ("spare").
  spare_request = wrk.format("GET", "/__load_spare__")
  -- wrk asks the first thread's script for one request before it starts, to check it; that
  -- one is never sent and must not use up a line.
  being_checked = tid == 0
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local method, target, body, headers = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
      local h = {}
      for name, value in headers:gmatch("([^:|]+): ([^|]*)") do h[name] = value end
      if body ~= "" then h["Content-Type"] = "application/json" end
      lines[#lines + 1] = wrk.format(method, target, h, body ~= "" and body or nil)
    end
    i = i + 1
  end
end

function request()
  if being_checked then
    being_checked = false
    return spare_request
  end
  if idx < #lines then
    if idx == 0 then io.stderr:write("START " .. tid .. "\n") end
    idx = idx + 1
    return lines[idx]
  end
  spare_sent = spare_sent + 1
  return spare_request
end

function delay()
  if idx < #lines then return 0 end
  return 3600000 -- an hour: the thread stops (or wrk's -d ends the run) long before
end

function response(status, headers, body)
  if status == 404 and spare_sent > spare then
    spare = spare + 1
    return
  end
  answered = answered + 1
  if status < 200 or status > 399 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("BAD " .. status .. " " .. (body or ""):sub(1, 200):gsub("\n", " ") .. "\n") end
  end
  if answered >= #lines and not stopped then
    stopped = true
    io.stderr:write("STOP " .. tid .. "\n")
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answered_all, bad_all, spare_all = 0, 0, 0
  for _, t in ipairs(threads) do
    answered_all = answered_all + t:get("answered")
    bad_all = bad_all + t:get("bad")
    spare_all = spare_all + t:get("spare")
  end
  io.write(string.format(
    "RESULT answered=%d bad=%d spare=%d requests=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
    answered_all, bad_all, spare_all, summary.requests,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
