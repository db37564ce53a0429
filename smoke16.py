import threading, time, json, subprocess, sys, os, signal, yaml
from tests.listeners.jetstream_server import JetstreamServer, synthetic_events
ev = synthetic_events(800, share=0.1, topic_text="Our customer service never answers", step_us=20000)
with JetstreamServer(ev, pace_seconds=0.004) as srv:
    cfg={"organisation":"T","warehouse":{"path":"/tmp/s16/wh.duckdb"},"sources":[{"id":"firehose","kind":"bluesky","stream":True,"stream_url":srv.url,"batch_seconds":600}],
         "topics":[{"id":"service","label":"S","terms":{"en":["customer service"]}}]}
    open("/tmp/s16/l.yaml","w").write(yaml.safe_dump(cfg))
    p=subprocess.Popen([sys.executable,"-m","earshot.pipelines.cli","stream","-c","/tmp/s16/l.yaml"], env={**os.environ,"PYTHONFAULTHANDLER":"1"})
    for i in range(10):
        time.sleep(1); print(srv.sent_per_connection, flush=True)
    p.send_signal(signal.SIGABRT); p.wait()
