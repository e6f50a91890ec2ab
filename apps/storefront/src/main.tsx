import { render } from "preact";
import { App } from "./app.js";
import { restoreSession } from "./auth.js";
import "./styles.css";

const root = document.getElementById("app")!;
restoreSession().finally(() => render(<App />, root));
