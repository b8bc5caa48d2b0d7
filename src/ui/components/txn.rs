use crate::sim::{SimTime, TxnId, TxnTrace};
use crate::ui::app::{Cbs, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub txns: Rc<Vec<TxnTrace>>,
    pub topo: Rc<Topo>,
    pub now: SimTime,
    pub selected: Option<TxnId>,
    pub cbs: Cbs,
}

#[function_component(TxnPanel)]
pub fn txn_panel(_p: &Props) -> Html {
    html! {}
}
