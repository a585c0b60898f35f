// The demo GraphQL service (a small library), served by the demo origin at /graphql with the
// reference implementations: `graphql` (graphql-js) for the schema and execution and
// `graphql-http` for GraphQL over HTTP. Routes: routes/v1/graphql.toml.
import { buildSchema, GraphQLError } from "graphql";
import { createHandler } from "graphql-http";

/** Where the service answers. */
export const GRAPHQL_PATH = "/graphql";

export const SCHEMA = buildSchema(`
  type Query {
    book(id: ID!): Book
    books(first: Int = 10): [Book!]!
    author(id: ID!): Author
  }
  type Mutation {
    addReview(bookId: ID!, stars: Int!): Review!
  }
  type Book {
    id: ID!
    title: String!
    author: Author!
    reviews(first: Int = 5): [Review!]!
  }
  type Author {
    id: ID!
    name: String!
    books(first: Int = 10): [Book!]!
  }
  type Review {
    stars: Int!
  }
`);

const AUTHORS = { a1: "Ursula", a2: "Italo" };
const book = (id) => ({
  id,
  title: `Book ${id}`,
  author: () => author(Number(id) % 2 ? "a1" : "a2"),
  reviews: ({ first }) => [5, 4, 3].slice(0, first).map((stars) => ({ stars })),
});
const author = (id) =>
  AUTHORS[id] && {
    id,
    name: AUTHORS[id],
    books: ({ first }) => Array.from({ length: Math.min(first, 20) }, (_, i) => book(String(i + 1))),
  };

const ROOT = {
  book: ({ id }) => {
    if (id === "missing") throw new GraphQLError(`no book ${id}`, { extensions: { code: "NOT_FOUND" } });
    return book(id);
  },
  books: ({ first }) => Array.from({ length: Math.min(first, 20) }, (_, i) => book(String(i + 1))),
  author: ({ id }) => author(id),
  addReview: ({ stars }) => ({ stars }),
};

/**
 * A Node request handler for the service. `seen` receives each request's method, URL and
 * body text (what the gateway sent).
 */
export function graphqlHandler(seen = () => {}) {
  const handler = createHandler({ schema: SCHEMA, rootValue: ROOT });
  return (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen({ method: req.method, url: req.url, headers: req.headers, body });
      handler({ url: req.url, method: req.method, headers: req.headers, body, raw: req, context: undefined })
        .then(([text, init]) => res.writeHead(init.status, init.statusText, init.headers).end(text))
        .catch(() => res.writeHead(500).end());
    });
  };
}
