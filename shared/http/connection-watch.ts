import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** Whether one request's connection was established: TCP connected and, for TLS, the handshake done. */
export interface ConnectionWatch {
  readonly established: boolean;
}

/** What axios calls to create the request (its `transport` option). */
export interface RequestTransport {
  request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest;
}

/**
 * Node's http/https request, recording whether the connection got established. Until it is, the request has
 * not left the client (through a proxy tunnel too: the agent hands over the socket only once the tunnel is
 * open), so a failure cannot have been acted on by the server. Agents may hand over a socket that is already
 * connected (a reused keep-alive socket, a proxy connection): that counts at once.
 */
export function connectionWatchingTransport(): { transport: RequestTransport; watch: ConnectionWatch } {
  const watch = { established: false };
  const transport: RequestTransport = {
    request(options, callback) {
      const req = (options.protocol === 'https:' ? https : http).request(options, callback);
      req.once('socket', (socket: Socket) => {
        if (isEstablished(socket)) {
          watch.established = true;
          return;
        }
        socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
          watch.established = true;
        });
      });
      return req;
    },
  };
  return { transport, watch };
}

/** Connected, and for TLS the handshake finished (getFinished() stays undefined until then). */
function isEstablished(socket: Socket): boolean {
  if (socket.pending) return false;
  return !(socket instanceof TLSSocket) || socket.getFinished() !== undefined;
}
