-- wrk posts one KServe v2 infer request, the body read from the file named by $BODY, on every
-- keep-alive connection; `done` fails the run unless every answer was a 200 (wrk counts
-- any other status as an error).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open(os.getenv("BODY"), "rb"))
wrk.body = file:read("*a")
file:close()

function done(summary, latency, requests)
    local errors = summary.errors
    local failed = errors.connect + errors.read + errors.write + errors.status + errors.timeout
    if failed > 0 then
        io.stderr:write(string.format("%d requests failed or were not 200\n", failed))
        os.exit(1)
    end
end
