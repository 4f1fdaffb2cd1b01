from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'changelog.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html.j2', 'changelog.html.j2')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_entries = resolve('entries')
    pass
    yield '<h1>Changelog</h1>\n'
    l_1_loop = missing
    t_1 = 1
    for l_1_e, l_1_loop in LoopContext((undefined(name='entries') if l_0_entries is missing else l_0_entries), undefined):
        _loop_vars = {}
        pass
        yield '<section class="release" id="c-'
        yield escape(environment.getattr(l_1_loop, 'revindex'))
        yield '">\n<h2><span class="date">'
        yield escape(environment.getattr(l_1_e, 'date'))
        yield '</span> <a href="'
        yield escape(environment.getattr(l_1_e, 'href'))
        yield '">'
        yield escape(environment.getattr(l_1_e, 'title'))
        yield '</a></h2>\n<p class="meta"><code>'
        yield escape(environment.getattr(l_1_e, 'folder'))
        yield '</code></p>\n'
        if environment.getattr(l_1_e, 'why'):
            pass
            yield '<div class="md why">'
            yield escape(environment.getattr(l_1_e, 'why'))
            yield '</div>'
        for l_2_s in environment.getattr(l_1_e, 'specs'):
            _loop_vars = {}
            pass
            yield '<h3>'
            if environment.getattr(l_2_s, 'href'):
                pass
                yield '<a href="'
                yield escape(environment.getattr(l_2_s, 'href'))
                yield '">'
                yield escape(environment.getattr(l_2_s, 'id'))
                yield '</a>'
            else:
                pass
                yield escape(environment.getattr(l_2_s, 'id'))
            yield '</h3>\n<ul class="changes">\n'
            for l_3_r in environment.getattr(l_2_s, 'added'):
                _loop_vars = {}
                pass
                yield '<li><span class="kind kind-added">ADDED</span> '
                if environment.getattr(l_3_r, 'href'):
                    pass
                    yield '<a href="'
                    yield escape(environment.getattr(l_3_r, 'href'))
                    yield '">'
                    yield escape(environment.getattr(l_3_r, 'name'))
                    yield '</a>'
                else:
                    pass
                    yield escape(environment.getattr(l_3_r, 'name'))
                yield '</li>\n'
            l_3_r = missing
            for l_3_r in environment.getattr(l_2_s, 'modified'):
                _loop_vars = {}
                pass
                yield '<li><span class="kind kind-modified">MODIFIED</span> '
                if environment.getattr(l_3_r, 'href'):
                    pass
                    yield '<a href="'
                    yield escape(environment.getattr(l_3_r, 'href'))
                    yield '">'
                    yield escape(environment.getattr(l_3_r, 'name'))
                    yield '</a>'
                else:
                    pass
                    yield escape(environment.getattr(l_3_r, 'name'))
                yield '</li>\n'
            l_3_r = missing
            for l_3_r in environment.getattr(l_2_s, 'renamed'):
                _loop_vars = {}
                pass
                yield '<li><span class="kind kind-renamed">RENAMED</span> '
                yield escape(environment.getattr(l_3_r, 'old_name'))
                yield ' &rarr; '
                if environment.getattr(l_3_r, 'href'):
                    pass
                    yield '<a href="'
                    yield escape(environment.getattr(l_3_r, 'href'))
                    yield '">'
                    yield escape(environment.getattr(l_3_r, 'name'))
                    yield '</a>'
                else:
                    pass
                    yield escape(environment.getattr(l_3_r, 'name'))
                yield '</li>\n'
            l_3_r = missing
            for l_3_r in environment.getattr(l_2_s, 'removed'):
                _loop_vars = {}
                pass
                yield '<li><span class="kind kind-removed">REMOVED</span> <del>'
                yield escape(environment.getattr(l_3_r, 'name'))
                yield '</del></li>\n'
            l_3_r = missing
            yield '</ul>\n'
        l_2_s = missing
        yield '</section>\n'
        t_1 = 0
    l_1_loop = l_1_e = missing
    if t_1:
        pass
        yield '<p class="muted">Nothing archived yet.</p>\n'

blocks = {'main': block_main}
debug_info = '1=12&2=17&4=29&5=33&6=35&7=41&8=43&9=48&10=52&12=63&14=79&16=95&18=113'