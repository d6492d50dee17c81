// A device on Beebotte's official Node.js client, unchanged: an MQTT Stream connector that stays
// connected and comes back as the client does (its MQTT transport reconnects 1 s after each drop).
// Usage: node device.js HOST PORT SECRETKEY USERID
// Prints "connected <epoch ms>" and "lost <epoch ms>" on each change; exits when stdin closes, so
// it never outlives the process that started it.
const bbt = require('beebotte');

const [host, port, secretKey, userid] = process.argv.slice(2);
const stream = new bbt.Stream({
  transport: {type: 'mqtt', secretKey, userid, mqtt_host: host, port: Number(port), ssl: false},
});
stream.on('connected', () => console.log(`connected ${Date.now()}`));
stream.on('reconnected', () => console.log(`connected ${Date.now()}`));
stream.on('disconnected', () => console.log(`lost ${Date.now()}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
