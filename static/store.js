// The map page's state store: the one way to change the page's state
// (state.js describes its fields). change(patch) makes a new state from
// the old one and the patch, and tells every subscriber, in the order
// they subscribed, what changed; nothing else writes the state, and get()
// hands out the current one, which no one may modify. Pure: no DOM.

export function createStore(initial) {
  let state = { ...initial };
  const subscribers = [];
  return {
    get: () => state,
    // change applies patch. A subscriber that changes the state in turn
    // has every subscriber told of that change at once; those still to
    // hear of the first change then get the newest state.
    change(patch) {
      const before = state;
      state = { ...state, ...patch };
      for (const fn of subscribers.slice()) fn(state, patch, before);
    },
    // subscribe: fn(state, patch, before) after every change.
    subscribe(fn) {
      subscribers.push(fn);
    },
  };
}

// changed: whether the patch gives one of keys a new value.
export function changed(patch, before, keys) {
  return keys.some((k) => k in patch && patch[k] !== before[k]);
}
