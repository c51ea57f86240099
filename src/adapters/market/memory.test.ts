import { marketStoreContract } from "../../../test/adapters/market-contract.js";
import { MemoryMarketStore } from "./memory.js";

marketStoreContract("in-process", async (options) => new MemoryMarketStore(options));
