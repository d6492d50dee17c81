// Drives a Beebotte API (the simulator) with Beebotte's official Node.js client, unchanged.
// Usage: node check.js PORT APIKEY SECRETKEY USERID SID
// Prints one line per call and exits non-zero on the first unexpected answer.
const bbt = require('beebotte');

const [port, apiKey, secretKey, userid, sid] = process.argv.slice(2);
// A non-ASCII userid, written here rather than passed in so no locale can mangle it. Node puts it
// on the request line as the one byte 0xE9 (latin1) and the client signs the string as UTF-8.
const sensor = 'capteur-\u00e9';
const options = {hostname: '127.0.0.1', port: Number(port), protocol: 'http'};
const good = new bbt.Connector({apiKey, secretKey, ...options});
const bad = new bbt.Connector({apiKey, secretKey: secretKey + 'x', ...options});

function call(name, f, expectError) {
  return new Promise((resolve) => f((err, body) => {
    if (!!err !== expectError) {
      console.log(`${name}: unexpected ${err ? 'error ' + JSON.stringify(err) : 'success'}`);
      process.exit(1);
    }
    console.log(`${name}: ${err ? 'error ' + JSON.stringify(err) : JSON.stringify(body)}`);
    resolve(body);
  }));
}

(async () => {
  const all = await call('list', cb => good.getUserConnections(cb), false);
  console.log(`count: ${all.length}`);
  await call('list-protocol', cb => good.getUserConnections({protocol: 'socketio'}, cb), false);
  await call('list-user', cb => good.getUserConnections({userid}, cb), false);
  await call('list-session', cb => good.getUserConnections({userid, sid}, cb), false);
  await call('drop-session', cb => good.dropUserConnection({userid, sid, protocol: 'socketio'}, cb), false);
  await call('drop-user', cb => good.dropUserConnection({userid}, cb), false);
  const sensors = await call('list-sensor', cb => good.getUserConnections({userid: sensor}, cb), false);
  console.log(`sensor-count: ${sensors.filter(c => c.userid === sensor).length}`);
  await call('drop-sensor', cb => good.dropUserConnection({userid: sensor}, cb), false);
  await call('bad-secret', cb => bad.getUserConnections(cb), true);
})();
